"""10,000 mutated messages against the Python server: every input is answered with a well-formed reply."""

import random
from pathlib import Path

from gym_bridge import EnvironmentServer, decode_request
from gym_bridge import envbridge_pb2 as pb

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def mutate(data, corpus, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(8)
        if choice == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[rng.randrange(len(data))] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, 0x08, 0x12, 0x0A])
        elif choice == 2:
            position = rng.randrange(len(data) + 1)
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 3 and data:
            start = rng.randrange(len(data))
            del data[start : start + rng.randint(1, 16)]
        elif choice == 4:
            data = data[: rng.randrange(len(data) + 1)]
        elif choice == 5:
            other = rng.choice(corpus)
            data = data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]
        elif choice == 6:
            data = bytearray(rng.randrange(256) for _ in range(rng.randrange(65)))
        else:
            position = rng.randrange(len(data) + 1)
            data[position:position] = b"\xff\xff\xff\xff\x0f"
    return bytes(data)


def test_ten_thousand_mutated_inputs_are_all_answered():
    server = EnvironmentServer("Pendulum-v1", session_timeout=2.0)
    reply = pb.Reply()
    reply.ParseFromString(server.handle(pb.Request(request_id=1, handshake=pb.HandshakeRequest(protocol_major=1)).SerializeToString()))
    session = reply.handshake.session_id
    server.handle(pb.Request(request_id=2, session_id=session, reset=pb.ResetRequest()).SerializeToString())
    corpus = []
    for path in sorted(VECTORS.glob("*.bin")):
        data = path.read_bytes()
        try:
            request = decode_request(data)
            if request.session_id == "SESSION":
                request.session_id = session
                data = request.SerializeToString()
        except Exception:
            pass
        corpus.append(data)
    rng = random.Random(42)
    kinds = {}
    for _ in range(10_000):
        answer = pb.Reply()
        answer.ParseFromString(server.handle(mutate(rng.choice(corpus), corpus, rng)))
        kind = answer.WhichOneof("kind")
        assert kind is not None
        key = pb.ErrorCode.Name(answer.error.code) if kind == "error" else kind
        kinds[key] = kinds.get(key, 0) + 1
    assert kinds.get("BAD_REQUEST", 0) > 0 and kinds.get("step", 0) > 0, kinds

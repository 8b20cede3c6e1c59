"""gym-bridge serve --env Pendulum-v1 --bind tcp://127.0.0.1:5555 [--num-envs N [--workers K]] [--env-kwargs JSON]

(or python3 -m gym_bridge)
"""

import argparse
import json
import signal
import sys

from .server import EnvironmentServer


def main(argv: "list[str] | None" = None) -> int:
    parser = argparse.ArgumentParser(prog="gym-bridge", description="Serve a Gymnasium environment over the envbridge protocol.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one Gymnasium environment id")
    serve.add_argument("--env", required=True, help="Gymnasium id, e.g. Pendulum-v1 or HalfCheetah-v5")
    serve.add_argument("--bind", default="tcp://127.0.0.1:5555", help="ZeroMQ endpoint (default loopback only)")
    serve.add_argument("--num-envs", type=int, default=1, help="environments stepped per request in each session")
    serve.add_argument("--env-kwargs", default="{}", help="JSON object of keyword arguments for gymnasium.make")
    serve.add_argument("--session-timeout", type=float, default=600.0, help="seconds after which an idle session is dropped")
    serve.add_argument("--max-message-bytes", type=int, default=64 << 20, help="largest request frame accepted")
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=64,
        help="sessions held at most; when all are held, a handshake evicts the least recently used one "
        "idle for --eviction-grace seconds (default 64)",
    )
    serve.add_argument(
        "--eviction-grace",
        type=float,
        default=30.0,
        help="seconds a session must have been idle before a new handshake may evict it from a full server (default 30)",
    )
    serve.add_argument(
        "--step-delay-ms",
        type=float,
        default=0.0,
        help="milliseconds every step request sleeps before stepping: a model of a slow simulator, for tests and benchmarks",
    )
    serve.add_argument(
        "--spin-us",
        type=float,
        default=200.0,
        help="microseconds to look for a quick client's next request before blocking, while that is measured "
        "to answer it sooner than blocking (default 200; 0: always block)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes that step a session's copies beside the server's own (default 0): for many copies "
        "of a slow simulator on free cores; each session's copies are split into workers+1 ranges",
    )
    serve.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        help="seconds a worker may take for one request before it counts as hung and is replaced (default 60)",
    )
    serve.add_argument("--curve-secret-key", help="CURVE secret key file of this server (keygen): encrypts traffic")
    serve.add_argument("--allowed-clients", help="file of client public keys admitted with CURVE, one per line")
    keygen = commands.add_parser("keygen", help="write a CURVE key pair NAME.key (secret) and NAME.pub (public)")
    keygen.add_argument("name", help="path prefix of the key files")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        import zmq

        public, secret = zmq.curve_keypair()
        write_key(args.name + ".key", "# gym_bridge CURVE secret key: keep it private", secret.decode(), private=True)
        write_key(args.name + ".pub", "# gym_bridge CURVE public key: give it to peers", public.decode())
        print(f"wrote {args.name}.key and {args.name}.pub (public key {public.decode()})")
        return 0
    if args.allowed_clients and not args.curve_secret_key:
        parser.error("--allowed-clients needs --curve-secret-key")
    try:
        curve_secret_key = read_keys(args.curve_secret_key)[0] if args.curve_secret_key else None
        allowed_clients = read_keys(args.allowed_clients) if args.allowed_clients else None
    except (OSError, ValueError, IndexError) as error:
        parser.error(f"bad key file: {error}")
    try:
        kwargs = json.loads(args.env_kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        parser.error(f"--env-kwargs must be a JSON object: {error}")
    try:
        server = EnvironmentServer(
            args.env,
            num_envs=args.num_envs,
            env_kwargs=kwargs,
            session_timeout=args.session_timeout,
            max_message_bytes=args.max_message_bytes,
            spin_us=args.spin_us,
            step_delay_ms=args.step_delay_ms,
            workers=args.workers,
            worker_timeout=args.worker_timeout,
            max_sessions=args.max_sessions,
            eviction_grace=args.eviction_grace,
        )
    except Exception as error:
        print(f"gym_bridge: cannot serve {args.env}: {error}", file=sys.stderr)
        return 2
    stopping = []
    # A parent may have spawned us with these signals blocked (the mask is inherited): unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    try:
        server.serve(args.bind, stop=lambda: bool(stopping), curve_secret_key=curve_secret_key, allowed_clients=allowed_clients)
    finally:
        server.close()
    return 0


def read_keys(path):
    """Z85 keys from a key file: every line that is not empty or a # comment (the sac keygen format)."""
    keys = [line.strip() for line in open(path, encoding="utf-8") if line.strip() and not line.strip().startswith("#")]
    for key in keys:
        if len(key) != 40:
            raise ValueError(f"{path} holds '{key}', which is not a 40-character Z85 CURVE key")
    return keys


def write_key(path, comment, key, private=False):
    import os

    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(f"{comment}\n{key}\n")


if __name__ == "__main__":
    sys.exit(main())

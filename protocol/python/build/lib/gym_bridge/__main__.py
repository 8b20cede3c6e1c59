"""python3 -m gym_bridge serve --env Pendulum-v1 --bind tcp://127.0.0.1:5555 [--num-envs N] [--env-kwargs JSON]"""
import argparse
import json
import signal
import sys

from .server import EnvironmentServer


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m gym_bridge", description="Serve a Gymnasium environment over the envbridge protocol.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one Gymnasium environment id")
    serve.add_argument("--env", required=True, help="Gymnasium id, e.g. Pendulum-v1 or HalfCheetah-v5")
    serve.add_argument("--bind", default="tcp://127.0.0.1:5555", help="ZeroMQ endpoint (default loopback only)")
    serve.add_argument("--num-envs", type=int, default=1, help="environments stepped per request in each session")
    serve.add_argument("--env-kwargs", default="{}", help="JSON object of keyword arguments for gymnasium.make")
    serve.add_argument("--session-timeout", type=float, default=600.0, help="seconds after which an idle session is dropped")
    serve.add_argument("--max-message-bytes", type=int, default=64 << 20, help="largest request frame accepted")
    args = parser.parse_args(argv)
    try:
        kwargs = json.loads(args.env_kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        parser.error(f"--env-kwargs must be a JSON object: {error}")
    try:
        server = EnvironmentServer(args.env, num_envs=args.num_envs, env_kwargs=kwargs, session_timeout=args.session_timeout,
                                   max_message_bytes=args.max_message_bytes)
    except Exception as error:
        print(f"gym_bridge: cannot serve {args.env}: {error}", file=sys.stderr)
        return 2
    stopping = []
    # A parent may have spawned us with these signals blocked (the mask is inherited): unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    server.serve(args.bind, stop=lambda: bool(stopping))
    return 0


if __name__ == "__main__":
    sys.exit(main())

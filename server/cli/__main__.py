"""``python -m retouch.server.cli``: the same as the ``retouch`` console script."""

from retouch.server.cli.app import main

if __name__ == "__main__":
    main()

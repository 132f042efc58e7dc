"""``python -m server.cli``: the same as the ``retouch`` console script."""

from server.cli.app import main

if __name__ == "__main__":
    main()

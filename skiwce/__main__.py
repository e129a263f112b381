"""``python -m skiwce``: the ``skiwce`` command line (see :mod:`skiwce.cli`)."""

if __name__ == "__main__":
    from skiwce.cli import main

    raise SystemExit(main())

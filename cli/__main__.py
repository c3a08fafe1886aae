"""``python -m cli``: the `kb` command."""

from cli.main import main

main()

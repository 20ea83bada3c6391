"""One module per top-level command. Each exposes `register(subparsers)`, which adds its parser and sets
`func` (args -> exit code) as the parser default; cli.py only wires them together."""

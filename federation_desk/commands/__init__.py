"""Sub-commands of ``federation-desk-cli``. Each module here has ``register(subparsers)``; a module that lands adds
its name to ``cli.COMMAND_MODULES``."""

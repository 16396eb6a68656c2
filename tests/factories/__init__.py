"""factory-boy factories, one module per app: rows as that app's services would write them.

Layered like the apps (core < reference < members < contributions): a module imports only the ones below it."""

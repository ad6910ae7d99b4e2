"""Federation Desk: the shared back office of a GP practice federation."""

__version__ = "0.1.0"
APP_NAME = "Federation Desk"
APP_ID = "FederationDesk"
ORG_NAME = "FederationDesk"

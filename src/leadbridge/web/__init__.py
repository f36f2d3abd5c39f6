"""The web app: a REST API and a dashboard over the same Workspace services as the CLI."""

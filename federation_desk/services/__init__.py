"""Business rules as plain functions over a Session. No Qt here."""

"""Books → Campaigns Sync: keeps a Zoho Campaigns list filled with a Zoho Books organization's customers."""

__version__ = "0.1.0"

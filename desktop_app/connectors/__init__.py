"""The only code that speaks HTTP to Zoho or the Sandbox (no Qt).

The same classes serve real Zoho and the Sandbox; only base URLs differ (SPEC R1–R6, R23).
"""

"""Receipt documents and their ESC/POS and text renderers (filled in by the receipts issue)."""

"""saphire-kg: the open, queryable observatory of how ready Europe's regions are for personalised medicine."""

__version__ = "0.1.0"

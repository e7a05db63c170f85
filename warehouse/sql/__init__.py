"""SQL files of the warehouse (a package so that the wheel ships them as package data)."""

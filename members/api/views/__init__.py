"""Thin API views: parse, call one selector or service, render."""

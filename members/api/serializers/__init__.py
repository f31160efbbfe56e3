"""Serializers validate and shape; writes go through members.services.api_upserts."""

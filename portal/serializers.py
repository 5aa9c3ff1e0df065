from rest_framework import serializers


class PortalLinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The link's id, recorded with everything the borrower does through it.")
    url = serializers.CharField(help_text="The link to send the borrower; shown once (only its hash is stored).")
    expires_at = serializers.DateTimeField()

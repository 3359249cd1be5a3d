"""``manage.py registry_certificate``: the certificate an external registry trusts.

A CNCF distribution registry in ``auth: token`` mode verifies the hub's tokens with it: put
the output in the file its ``rootcertbundle`` names.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from registry.tokens import signing_key


class Command(BaseCommand):
    help = "Print the PEM certificate of the key that signs registry tokens."

    def handle(self, *args, **options) -> None:
        self.stdout.write(signing_key().certificate_pem.decode(), ending="")

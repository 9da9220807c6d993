"""RegistryScanning: Amazon Inspector's enhanced scanning for the stack's image repositories.

ECR prefers the registry's scanning configuration to the repository's scan-on-push flag, and only
the registry can turn on enhanced scanning: Inspector's findings on operating-system and language
packages, with whether a fix exists, on push or continuously. The configuration is one per account
and region, so this component is opt-in (setting ecrEnhancedScanning) and belongs to one stack only:
- under ENHANCED, every repository of the region that no rule's filter matches is not scanned at all,
  and the repository flag is ignored: it replaces the account's basic scan-on-push for everyone;
- two stacks that both set it overwrite each other, and removing it (or destroying the stack) puts
  the whole registry back to BASIC with no rules, which scans nothing on push;
- Inspector bills every scanned image (README, "Registry-wide scanning").
A filter without a wildcard matches every repository whose name contains it; a repository named
after the stack's function is matched by its own name.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class RegistryScanningArgs:
    scan_frequency: str  # SCAN_ON_PUSH or CONTINUOUS_SCAN
    repository_names: list[pulumi.Input[str]]


class RegistryScanning(pulumi.ComponentResource):
    def __init__(self, name: str, args: RegistryScanningArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("lambdakit:scan:RegistryScanning", name, None, opts)
        self.configuration = aws.ecr.RegistryScanningConfiguration(
            name,
            scan_type="ENHANCED",
            rules=[aws.ecr.RegistryScanningConfigurationRuleArgs(
                scan_frequency=args.scan_frequency,
                repository_filters=[aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                    filter=repository, filter_type="WILDCARD") for repository in args.repository_names])],
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"scanType": self.configuration.scan_type})

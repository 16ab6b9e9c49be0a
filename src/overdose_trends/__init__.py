"""overdose_trends: drug-poisoning death trends and take-home naloxone evaluation.

Loaders for ONS drug-poisoning workbooks and mid-year population estimates,
public-health rate statistics, and report figures.
"""

from overdose_trends.errors import DataFormatError

__all__ = ["DataFormatError", "__version__"]
__version__ = "0.1.0"

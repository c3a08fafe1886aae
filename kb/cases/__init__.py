"""Case studies: records loaded with their reviewed corrections, filtered, and matched."""

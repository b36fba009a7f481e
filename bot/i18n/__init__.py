"""Translation: the gettext catalogs and Babel's formats behind every text a person reads, the
explanation of an assessment, and the catalog check."""

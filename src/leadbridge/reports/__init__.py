"""Reports: person source and lead source with conversion and revenue, campaign influence and ROI."""

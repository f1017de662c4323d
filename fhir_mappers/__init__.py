"""Pure mapping between the rehab domain and FHIR R4 (fhir.resources R4B models)."""

"""The development EHR: SMART authorization server and FHIR proxy in front of real FHIR servers."""

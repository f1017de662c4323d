"""Code systems and real codes the synthetic patients use (LOINC, SNOMED, ICD-10-CM, RxNorm)."""

from __future__ import annotations

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_CATEGORY = "http://terminology.hl7.org/CodeSystem/goal-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
MED_REQUEST_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
# Identifies data made by this generator (a patient identifier system of the sandbox).
SANDBOX_MRN = "urn:functionfirst:sandbox:mrn"

# Observations the app reads (LOINC).
NRS = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
PEG_PANEL = ("91148-7", "Pain, Enjoyment of life, General activity (PEG) 3-item pain scale")
PEG_PAIN = ("75893-8", "Pain intensity 0-10 average past week")
PEG_ENJOYMENT = ("91145-3", "Pain interference with enjoyment of life past week")
PEG_ACTIVITY = ("91146-1", "Pain interference with general activity past week")
PEG_SCORE = ("91147-9", "PEG score (mean of 3 items)")
PROMIS_PAIN_INTERFERENCE = ("77865-4", "PROMIS pain interference T-score")
PROMIS_PHYSICAL_FUNCTION = ("91721-1", "PROMIS physical function T-score")
GAS_PRACTITIONER = ("107333-7", "Goal attainment scale - Practitioner follow-up")
# GAS answer list LL6900-6: score -> (LOINC answer code, display).
GAS_ANSWERS: dict[int, tuple[str, str]] = {
    2: ("LA34479-8", "Much better than expected"),
    1: ("LA34480-6", "Better than expected"),
    0: ("LA34481-4", "Expected outcome"),
    -1: ("LA34483-0", "Less than expected"),
    -2: ("LA34484-8", "Much less than expected"),
}
BODY_WEIGHT = ("29463-7", "Body weight")

# Chronic pain conditions: (SNOMED code, SNOMED display, ICD-10-CM code, ICD-10-CM display).
LOW_BACK_PAIN = ("279039007", "Low back pain", "M54.50", "Low back pain, unspecified")
CHRONIC_PAIN = ("82423001", "Chronic pain", "G89.29", "Other chronic pain")
CHRONIC_PAIN_SYNDROME = ("373621006", "Chronic pain syndrome", "G89.4", "Chronic pain syndrome")
FIBROMYALGIA = ("203082005", "Fibromyalgia", "M79.7", "Fibromyalgia")
KNEE_OSTEOARTHRITIS = (
    "239873007",
    "Osteoarthritis of knee",
    "M17.11",
    "Unilateral primary osteoarthritis, right knee",
)
NECK_PAIN = ("81680005", "Neck pain", "M54.2", "Cervicalgia")
DEPRESSION = ("35489007", "Depressive disorder", "F32.A", "Depression, unspecified")
HYPERTENSION = ("38341003", "Hypertensive disorder", "I10", "Essential (primary) hypertension")

# Medications: RxNorm ingredient (IN) code, ingredient name, optional clinical drug (SCD) code,
# product text, strength in mg per unit. SCD codes only where the app's product table lists them.
OXYCODONE_10 = ("7804", "oxycodone", "1049717", "oxycodone hydrochloride 10 MG oral capsule", 10.0)
OXYCODONE_ER_60 = (
    "7804",
    "oxycodone",
    "1049593",
    "oxycodone hydrochloride 60 MG 12 HR extended release oral tablet",
    60.0,
)
TRAMADOL_50 = ("10689", "tramadol", "835603", "tramadol hydrochloride 50 MG oral tablet", 50.0)
HYDROCODONE_10 = (
    "5489",
    "hydrocodone",
    None,
    "hydrocodone bitartrate 10 MG / acetaminophen 325 MG oral tablet",
    10.0,
)
MORPHINE_ER_30 = (
    "7052",
    "morphine",
    None,
    "morphine sulfate 30 MG 12 HR extended release oral tablet",
    30.0,
)
ALPRAZOLAM_05 = ("596", "alprazolam", None, "alprazolam 0.5 MG oral tablet", 0.5)
LORAZEPAM_1 = ("6470", "lorazepam", None, "lorazepam 1 MG oral tablet", 1.0)
GABAPENTIN_300 = ("25480", "gabapentin", None, "gabapentin 300 MG oral capsule", 300.0)
DULOXETINE_60 = ("72625", "duloxetine", None, "duloxetine 60 MG delayed release oral capsule", 60.0)
IBUPROFEN_400 = ("5640", "ibuprofen", None, "ibuprofen 400 MG oral tablet", 400.0)
NAPROXEN_500 = ("7258", "naproxen", None, "naproxen 500 MG oral tablet", 500.0)
ACETAMINOPHEN_500 = ("161", "acetaminophen", None, "acetaminophen 500 MG oral tablet", 500.0)
CYCLOBENZAPRINE_10 = (
    "21949",
    "cyclobenzaprine",
    None,
    "cyclobenzaprine hydrochloride 10 MG oral tablet",
    10.0,
)
AMITRIPTYLINE_25 = (
    "704",
    "amitriptyline",
    None,
    "amitriptyline hydrochloride 25 MG oral tablet",
    25.0,
)
PREGABALIN_75 = ("187832", "pregabalin", None, "pregabalin 75 MG oral capsule", 75.0)
MELOXICAM_15 = ("41493", "meloxicam", None, "meloxicam 15 MG oral tablet", 15.0)
LISINOPRIL_10 = ("29046", "lisinopril", None, "lisinopril 10 MG oral tablet", 10.0)
OMEPRAZOLE_20 = ("7646", "omeprazole", None, "omeprazole 20 MG delayed release oral capsule", 20.0)
SERTRALINE_50 = ("36437", "sertraline", None, "sertraline 50 MG oral tablet", 50.0)

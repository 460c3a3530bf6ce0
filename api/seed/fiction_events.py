"""Invented sanctuary cases, shifts, accompaniment requests, incidents and advocacy actions of the demo network.

Times are offsets from the moment of seeding (negative: in the past), so the demo always has upcoming work.
Every critical (T3) text is long and distinctive, so tests can search dumps and logs for it.
"""

from __future__ import annotations

from typing import NamedTuple

from api.models.enums import (
    AccompanimentKind,
    AccompanimentOutcome,
    AccompanimentStatus,
    AdvocacyKind,
    AdvocacyLevel,
    AdvocacyStatus,
    DispatchRole,
    ExitOutcome,
    IncidentKind,
    IncidentStatus,
    IntakeChannel,
    SanctuaryCaseStatus,
    ShiftAssignmentStatus,
    ShiftStatus,
    SupportRole,
    TimelineKind,
    Urgency,
    Verification,
    Visibility,
)


class CaseSpec(NamedTuple):
    key: str
    person: str
    host: str
    status: SanctuaryCaseStatus
    exit_outcome: ExitOutcome | None
    consent: bool
    legal_status: str
    location: str | None  # None once the guest left, or before a room is set
    days: tuple[int | None, int | None]  # entered, exited (days ago)
    supporters: tuple[tuple[str, tuple[SupportRole, ...]], ...]


class ShiftSpec(NamedTuple):
    day: int
    hour: int
    status: ShiftStatus
    needed: int
    supporter: str | None
    volunteers: tuple[tuple[str, ShiftAssignmentStatus], ...]


class RequestSpec(NamedTuple):
    person: str
    org: str
    kind: AccompanimentKind
    status: AccompanimentStatus
    urgency: Urgency
    congregation: str | None
    day: int
    hour: int
    place: str
    languages: tuple[str, ...]
    note: str
    outcome: AccompanimentOutcome | None
    lead: str | None  # a member key, or None: the seed picks trained volunteers


class IncidentSpec(NamedTuple):
    key: str
    kind: IncidentKind
    channel: IntakeChannel
    verification: Verification
    status: IncidentStatus
    region: str
    area: int
    minutes_ago: int
    salute: tuple[str, str, str, str]  # size, actions, uniform, equipment
    exact_location: str
    reporter_contact: str
    dispatches: tuple[tuple[str, DispatchRole, bool], ...]  # member key, role, arrived
    timeline: tuple[tuple[TimelineKind, int, str], ...]  # kind, minutes after the report, note


class ActionSpec(NamedTuple):
    title: str
    org: str
    kind: AdvocacyKind
    level: AdvocacyLevel
    visibility: Visibility
    status: AdvocacyStatus
    day: int
    target: str | None
    place: str | None
    co_organizers: tuple[str, ...]
    case: str | None


_H, _P, _S, _A, _L = (SupportRole.HOSPITALITY, SupportRole.PROTECTION, SupportRole.SPIRITUAL,
                      SupportRole.ADVOCACY, SupportRole.LEGAL)  # fmt: skip

CASES = (
    CaseSpec("guest_case", "guest", "thistlecombe", SanctuaryCaseStatus.IN_SANCTUARY, None, True,
             "Final removal order (2019, Quillmere Immigration Court, docket QIC-48213); motion to reopen filed, stay pending",
             "Thistlecombe parsonage, upstairs east room; side door code kept by the sexton", (140, None),
             (("beth_amara", (_H, _P)), ("wendeline", (_S, _A)))),
    CaseSpec("discerning_case", "discerning", "cedar_hollow", SanctuaryCaseStatus.DISCERNMENT, None, False,
             "TPS lapsed in 2023; asylum denied in Brindle Falls, appeal BIA-7731-QX pending", None, (None, None),
             (("thistlecombe", (_L,)),)),
    CaseSpec("exited_case", "exited", "thistlecombe", SanctuaryCaseStatus.EXITED, ExitOutcome.STAY_GRANTED, False,
             "Deferred action granted after 14 months in sanctuary (Ostervale file OS-5520-KV)", None, (700, 270),
             (("beth_amara", (_H, _L)),)),
)  # fmt: skip

_SU, _AT, _AB, _WD = (ShiftAssignmentStatus.SIGNED_UP, ShiftAssignmentStatus.ATTENDED, ShiftAssignmentStatus.ABSENT,
                      ShiftAssignmentStatus.WITHDRAWN)  # fmt: skip

GUEST_SHIFTS = (
    ShiftSpec(-3, 8, ShiftStatus.COMPLETED, 2, None, (("hospitality", _AT), ("odalys", _AT))),
    ShiftSpec(-2, 16, ShiftStatus.COMPLETED, 2, "beth_amara", (("petrosyan", _AT), ("soren", _AT))),
    ShiftSpec(-1, 0, ShiftStatus.MISSED, 2, "wendeline", (("wren", _AB),)),
    ShiftSpec(1, 8, ShiftStatus.FILLED, 2, None, (("hospitality", _SU), ("soren", _SU))),
    ShiftSpec(1, 16, ShiftStatus.OPEN, 2, "wendeline", (("wren", _SU),)),
    ShiftSpec(2, 0, ShiftStatus.OPEN, 3, "beth_amara", ()),
    ShiftSpec(2, 8, ShiftStatus.OPEN, 2, None, (("odalys", _WD), ("hospitality", _SU))),
)

_AK, _AS, _U = AccompanimentKind, AccompanimentStatus, Urgency
_COURT = "Quillmere Immigration Court, 4th floor, courtroom 3B"
_FIELD_OFFICE = "Ostervale enforcement field office, 40 Harrow Street, lobby B"

REQUESTS = (
    RequestSpec("luz", "ostervale_legal", _AK.COURT_HEARING, _AS.COMPLETED, _U.SOON, "beth_amara", -40, 9, _COURT,
                ("es",), "Master hearing; judge Vantreece tends to rush, sit in the second row", AccompanimentOutcome.RESCHEDULED, "accompanier"),
    RequestSpec("luz", "ostervale_legal", _AK.ICE_CHECK_IN, _AS.CONFIRMED, _U.SOON, "beth_amara", 5, 8, _FIELD_OFFICE,
                ("es",), "Luz is afraid of being detained at this check-in; bring the Rivas-Amaya stay receipt", None, "accompanier"),
    RequestSpec("karim", "ostervale_legal", _AK.BIOMETRICS, _AS.COMPLETED, _U.ROUTINE, "wendeline", -20, 13,
                "Application support center, Marrowgate Plaza suite 210", ("fa", "ps"),
                "Needs a Dari interpreter by phone; fingerprints were rejected once before", AccompanimentOutcome.ATTENDED, None),
    RequestSpec("karim", "ostervale_legal", _AK.SERVICES, _AS.MATCHING, _U.ROUTINE, "beth_amara", 9, 10,
                "Larkhaven community clinic, intake desk", ("fa",), "Karim mentioned nightmares since the Kestrel Ridge transfer; go gently", None,"accompanier"),
    RequestSpec("wilmer", "tamsin_justice", _AK.ICE_CHECK_IN, _AS.COMPLETED, _U.URGENT, "wendeline", -12, 8, _FIELD_OFFICE,
                ("es",), "Officer Drayhollow asked him to bring his passport last time; warn his sister Rosa", AccompanimentOutcome.DETAINED, "calloway"),
    RequestSpec("wilmer", "tamsin_justice", _AK.TRANSPORT, _AS.CANCELLED, _U.ROUTINE, None, -3, 15,
                "Tamsin Justice Project office to the county detention visitation center", ("es",),
                "Visit cancelled: Wilmer moved to the Faircloud processing center overnight", None, None),
    RequestSpec("rosa", "tamsin_justice", _AK.EMOTIONAL_SUPPORT, _AS.SUBMITTED, _U.SOON, None, 4, 18,
                "Rosa's kitchen table, Tamsin (address with the coordinator)", ("es",),
                "Rosa has not slept since her brother was detained; she asked for a woman volunteer", None, None),
    RequestSpec("guest_spouse", "ostervale_legal", _AK.ISAP_CHECK_IN, _AS.TRIAGED, _U.ROUTINE, "thistlecombe", 12, 11,
                "ISAP office, Marrowgate Plaza suite 118", ("es",), "Ankle monitor chafes; ask the case officer about the Lumen-7 phone app instead", None, None),
    RequestSpec("discerning", "ostervale_legal", _AK.COURT_HEARING, _AS.SUBMITTED, _U.URGENT, "cedar_hollow", 30, 9, _COURT,
                ("ht", "fr"), "Individual hearing on the BIA-7731-QX remand; Haitian Creole interpreter confirmed", None, None),
    RequestSpec("luz", "ostervale_legal", _AK.HOUSING, _AS.UNFILLED, _U.URGENT, "thistlecombe", -8, 17,
                "Brindle Falls transitional house, porch entrance", ("es",), "Landlord on Quarry Lane threatened to call immigration", None, None),
    RequestSpec("karim", "ostervale_legal", _AK.EMOTIONAL_SUPPORT, _AS.CONFIRMED, _U.ROUTINE, "beth_amara", 2, 16,
                "Ostervale public library, quiet room 2", ("fa", "en"), "Wants to practise English for the asylum interview with Mr. Hollowell", None, "amina"),
    RequestSpec("exited", "tamsin_justice", _AK.SERVICES, _AS.COMPLETED, _U.ROUTINE, "thistlecombe", -60, 10,
                "Tamsin county social services, window 6", ("uk",), "Work permit renewal; Oksana keeps the original in the Thistlecombe safe", AccompanimentOutcome.ATTENDED, "gideon"),
)  # fmt: skip

# coarse areas by region: label, latitude, longitude (two decimals: a city district, never a building)
COARSE_AREAS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "alder": (("Riverside district, Alder County", 44.21, -93.47), ("Larkhaven center, Alder County", 44.18, -93.52)),
    "quillmere": (("Ostervale east side, Quillmere County", 44.05, -93.31),
                  ("Marrowgate industrial park, Quillmere County", 44.09, -93.22)),
    "tamsin": (("Tamsin downtown, Tamsin Metro", 43.95, -93.40), ("Tamsin north end, Tamsin Metro", 43.99, -93.38)),
}  # fmt: skip

_IK, _IC, _V, _IS, _DR, _TK = IncidentKind, IntakeChannel, Verification, IncidentStatus, DispatchRole, TimelineKind

INCIDENTS = (
    IncidentSpec("raid_now", _IK.WORKPLACE_RAID, _IC.HOTLINE, _V.CONFIRMED, _IS.ACTIVE, "quillmere", 1, 300,
                 ("About 20 agents", "Blocking both gates, lining workers up", "Vests marked POLICE ICE", "Six vans, a bus"),
                 "Pellworth Poultry plant, 1427 Fennimore Lane, rear loading dock", "Caller 'Dolores', 555-0142, texts only",
                 (("dispatcher", _DR.DISPATCHER, False), ("responder", _DR.VERIFIER, True), ("lupe", _DR.LEGAL_OBSERVER, True),
                  ("advocate", _DR.LEGAL_LIAISON, False)),
                 ((_TK.VERIFICATION, 35, "Kestrel on site: counted 21 agents at the Fennimore Lane dock, photos sent"),
                  (_TK.BROADCAST, 40, "Alert sent for the industrial park; families told to stay clear of gate 2"))),
    IncidentSpec("home_unverified", _IK.HOME_RAID, _IC.TEXT_LINE, _V.VERIFYING, _IS.OPEN, "alder", 0, 40,
                 ("Three people", "Knocking, asking for 'Jose'", "Plain clothes", "One grey sedan"),
                 "Apartment 4C, 88 Osprey Court, Larkhaven (Riverside)", "Neighbour on the text line, 555-0177, Spanish",
                 (("responder", _DR.VERIFIER, False),),
                 ((_TK.DISPATCH, 6, "Kestrel sent to Osprey Court; caller says the door was not opened"),)),
    IncidentSpec("utility_trucks", _IK.VEHICLE_STOP, _IC.HOTLINE, _V.FALSE_ALARM, _IS.CLOSED, "alder", 1, 4300,
                 ("Two trucks", "Stopping cars", "Hi-vis jackets", "Cones"), "Corner of Bellamy Road and Sixth, Larkhaven",
                 "Anonymous caller from a payphone near the Larkhaven depot",
                 (("thaddeus", _DR.VERIFIER, True),),
                 ((_TK.VERIFICATION, 25, "Thad: gas utility crew detouring traffic at Bellamy and Sixth, no agents"),)),
    IncidentSpec("sobriety_checkpoint", _IK.CHECKPOINT, _IC.PARTNER_APP, _V.NOT_ICE, _IS.CLOSED, "quillmere", 0, 9000,
                 ("Eight officers", "Breath tests", "State patrol", "Light tower"), "Route 9 underpass by the Ostervale grain silos",
                 "Partner app user #4471-Ostervale (pseudonymous)",
                 (("lupe", _DR.VERIFIER, True),),
                 ((_TK.VERIFICATION, 30, "Lupe: state patrol sobriety checkpoint under the Route 9 bridge, not immigration"),)),
    IncidentSpec("checkin_arrest", _IK.CHECK_IN_ARREST, _IC.ACCOMPANIMENT, _V.CONFIRMED, _IS.STABLE, "quillmere", 0, 17280,
                 ("Two officers", "Handcuffed at the window", "Uniformed ICE ERO", "None seen"),
                 "Ostervale field office, 40 Harrow Street, interview room 2", "Accompanier Calloway, 555-0121",
                 (("thaddeus", _DR.LEGAL_OBSERVER, True), ("responder", _DR.VERIFIER, True)),
                 ((_TK.NOTE, 5, "Calloway saw Wilmer taken through the grey door behind window 3"),
                  (_TK.BROADCAST, 50, "Alert: check-in arrests at the Ostervale field office this morning"),
                  (_TK.DEBRIEF, 600, "Debrief: sister Rosa informed; Tamsin Justice filing a bond motion, ref TJP-3390"))),
    IncidentSpec("courthouse_rumour", _IK.COURTHOUSE_ARREST, _IC.IN_PERSON, _V.UNABLE_TO_VERIFY, _IS.CLOSED, "tamsin", 0, 28800,
                 ("Unknown", "Someone 'taken in the hallway'", "Unknown", "Unknown"), "Tamsin municipal court, 2nd floor hallway by room 12",
                 "Walk-in at the Vecinos office, left no number",
                 (("lupe", _DR.LEGAL_OBSERVER, True),),
                 ((_TK.VERIFICATION, 90, "Lupe: clerks at Tamsin municipal court saw nothing; hallway camera request filed"),)),
    IncidentSpec("vans_school", _IK.OTHER, _IC.HOTLINE, _V.UNVERIFIED, _IS.OPEN, "tamsin", 1, 10,
                 ("Two vans", "Parked, engines running", "Not visible", "Tinted windows"),
                 "Outside Juniper Hill elementary, north gate on Calder Street", "Parent 'Sofi', 555-0188, call back after 3pm",
                 (), ((_TK.NOTE, 2, "Dispatcher: asked the caller to note plates; Juniper Hill pickup starts at 15:10"),)),
    IncidentSpec("raid_last_month", _IK.WORKPLACE_RAID, _IC.HOTLINE, _V.CONFIRMED, _IS.CLOSED, "alder", 0, 64800,
                 ("About 12 agents", "Questioning kitchen staff", "Windbreakers marked HSI", "Two SUVs"),
                 "Golden Wren diner kitchen, 310 Mill Race Road, Riverside", "Line cook's cousin, 555-0163",
                 (("dispatcher", _DR.DISPATCHER, False), ("responder", _DR.VERIFIER, True)),
                 ((_TK.BROADCAST, 30, "Alert sent for Riverside; the Mill Race Road diner cleared by noon"),
                  (_TK.DEBRIEF, 2880, "Debrief: four detained from the Golden Wren kitchen, two released on recognizance"))),
)  # fmt: skip

_K, _LV, _V2, _ST = AdvocacyKind, AdvocacyLevel, Visibility, AdvocacyStatus

ACTIONS = (
    ActionSpec("Vigil: let Marisol stay", "vecinos", _K.VIGIL, _LV.LOCAL, _V2.PUBLIC, _ST.ANNOUNCED, 6, None,
               "Thistlecombe Fellowship front lawn, Larkhaven", ("thistlecombe", "beth_amara"), "guest_case"),
    ActionSpec("Call-in: end detainer requests in Quillmere County", "vecinos", _K.CALL_IN, _LV.LOCAL, _V2.NETWORK,
               _ST.PLANNED, 14, "Quillmere County Board of Supervisors", None, ("hub",), None),
    ActionSpec("Meeting with State Senator Penhallow's office", "hub", _K.MEETING_WITH_OFFICIAL, _LV.STATE, _V2.ORG,
               _ST.HELD, -10, "Office of State Senator Aldous Penhallow", "Capitol annex, room 214", (), None),
    ActionSpec("Public witness at the Ostervale field office", "hub", _K.PUBLIC_WITNESS, _LV.LOCAL, _V2.PUBLIC, _ST.HELD,
               -30, "Ostervale enforcement field office", "Harrow Street sidewalk, Ostervale", ("wendeline",), None),
    ActionSpec("Rally for a Tamsin welcoming-city ordinance", "vecinos", _K.RALLY, _LV.LOCAL, _V2.PUBLIC, _ST.PLANNED,
               25, "Tamsin City Council", "Tamsin civic plaza", ("tamsin_justice",), None),
    ActionSpec("National call-in day against courthouse arrests", "hub", _K.CALL_IN, _LV.NATIONAL, _V2.NETWORK,
               _ST.CANCELLED, -2, "Congressional delegation", None, ("vecinos", "ostervale_legal"), None),
)  # fmt: skip

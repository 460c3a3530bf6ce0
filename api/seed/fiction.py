"""Invented regions, organizations, members and protected people of the demo network.

No name here refers to a real place, congregation or person. Phone numbers are in the fictional
555-01xx range; e-mail addresses use the reserved ``.example`` domain. Countries of origin and
language codes are real categories, not places in the story.
"""

from __future__ import annotations

from typing import NamedTuple

from api.models.enums import Commitment, OrganizationKind, Role, TrainingKind

DEMO_DOMAIN = "demo.sanctuary.example"


class RegionSpec(NamedTuple):
    key: str
    code: str
    name: str


class OrgSpec(NamedTuple):
    key: str
    name: str
    kind: OrganizationKind
    region: str


class CongregationSpec(NamedTuple):
    org: str
    public_name: str
    tradition: str
    city: str
    commitment: Commitment
    public: bool
    capacity: int | None
    accessibility: str | None
    contact: str
    phone: str


class TrainingSpec(NamedTuple):
    kind: TrainingKind
    completed_days_ago: int
    valid_days: int | None  # None: does not expire


class MemberSpec(NamedTuple):
    local_part: str
    org: str
    roles: tuple[Role, ...]
    alias: str
    legal_name: str
    languages: tuple[str, ...]
    trainings: tuple[TrainingSpec, ...]


class PersonSpec(NamedTuple):
    key: str
    org: str
    preferred_name: str
    legal_name: str
    a_number: str | None  # None: a citizen child, no immigration file
    country: str | None
    languages: tuple[str, ...]


class HouseholdSpec(NamedTuple):
    person: str
    related: str
    relation: str


REGIONS = (
    RegionSpec("alder", "alder", "Alder County"),
    RegionSpec("quillmere", "quillmere", "Quillmere County"),
    RegionSpec("tamsin", "tamsin-metro", "Tamsin Metro"),
)

ORGS = (
    OrgSpec("hub", "Quillmere Valley Interfaith Sanctuary Network", OrganizationKind.NETWORK_HUB, "quillmere"),
    OrgSpec("thistlecombe", "Thistlecombe Fellowship Church", OrganizationKind.CONGREGATION, "alder"),
    OrgSpec("beth_amara", "Congregation Beth Amara", OrganizationKind.CONGREGATION, "quillmere"),
    OrgSpec("wendeline", "St. Wendeline Parish", OrganizationKind.CONGREGATION, "quillmere"),
    OrgSpec("cedar_hollow", "Cedar Hollow Friends Meeting", OrganizationKind.CONGREGATION, "alder"),
    OrgSpec("ostervale_legal", "Ostervale Immigrant Legal Collective", OrganizationKind.LEGAL_AID, "quillmere"),
    OrgSpec("tamsin_justice", "Tamsin Justice Project", OrganizationKind.LEGAL_AID, "tamsin"),
    OrgSpec("vecinos", "Vecinos Unidos de Larkhaven", OrganizationKind.COMMUNITY_GROUP, "alder"),
    OrgSpec("rapid", "Quillmere Valley Rapid Response", OrganizationKind.RAPID_RESPONSE, "quillmere"),
)

CONGREGATIONS = (
    CongregationSpec("thistlecombe", "Thistlecombe Fellowship", "United Methodist", "Larkhaven", Commitment.HOST,
                     True, 2, "Step-free side entrance; guest room on the upper floor", "Rev. Ines", "555-0101"),
    CongregationSpec("beth_amara", "Beth Amara", "Reform Jewish", "Ostervale", Commitment.SUPPORTING,
                     True, None, "Elevator to the social hall", "Miriam K.", "555-0102"),
    CongregationSpec("wendeline", "St. Wendeline", "Roman Catholic", "Marrowgate", Commitment.SUPPORTING,
                     False, None, None, "Parish office", "555-0103"),
    CongregationSpec("cedar_hollow", "Cedar Hollow Meeting", "Religious Society of Friends (Quaker)", "Brindle Falls",
                     Commitment.DISCERNING, False, 1, "Single-storey meetinghouse", "Clerk of the meeting", "555-0104"),
)  # fmt: skip

_ACC, _LO, _DIS, _HOS, _DE = (
    TrainingKind.ACCOMPANIMENT,
    TrainingKind.LEGAL_OBSERVER,
    TrainingKind.DISPATCHER,
    TrainingKind.HOSPITALITY,
    TrainingKind.DEESCALATION,
)
_VALID = 730
_EXPIRED = (_ACC, 800, _VALID)  # completed 800 days ago, valid two years: expired 70 days ago

# One member per role: these are the accounts that receive demo tokens.
ROLE_MEMBERS: dict[Role, MemberSpec] = {
    Role.NETWORK_COORDINATOR: MemberSpec("coordinator", "hub", (Role.NETWORK_COORDINATOR,), "Rev. Hollis",
                                         "Hollis Adebayo-Marsh", ("en",), ()),
    Role.AUDITOR: MemberSpec("auditor", "hub", (Role.AUDITOR,), "Perpetua", "Perpetua Lindqvist-Osei", ("en",), ()),
    Role.ORG_ADMIN: MemberSpec("admin", "thistlecombe", (Role.ORG_ADMIN,), "Deacon Fern", "Fernanda Okonkwo-Vale",
                               ("en",), ()),
    Role.SANCTUARY_COORDINATOR: MemberSpec("sanctuary", "thistlecombe", (Role.SANCTUARY_COORDINATOR,), "Pastor Ines",
                                           "Ines Halvorsen-Mejia", ("en", "es"),
                                           (TrainingSpec(_HOS, 200, _VALID), TrainingSpec(_DE, 90, None))),
    Role.HOSPITALITY_VOLUNTEER: MemberSpec("hospitality", "thistlecombe", (Role.HOSPITALITY_VOLUNTEER,), "Bram",
                                           "Bram Teodorescu", ("en",), (TrainingSpec(_HOS, 120, _VALID),)),
    Role.ACCOMPANIMENT_COORDINATOR: MemberSpec("matching", "beth_amara", (Role.ACCOMPANIMENT_COORDINATOR,),
                                               "Miriam K.", "Miriam Kovalenko-Stern", ("en", "uk"),
                                               (TrainingSpec(_ACC, 300, _VALID),)),
    Role.ACCOMPANIER: MemberSpec("accompanier", "beth_amara", (Role.ACCOMPANIER,), "Jonah", "Jonah Abernathy-Quispe",
                                 ("en", "es"), (TrainingSpec(_ACC, 150, _VALID), TrainingSpec(_DE, 150, None))),
    Role.LEGAL_ADVOCATE: MemberSpec("advocate", "ostervale_legal", (Role.LEGAL_ADVOCATE,), "Atty. Solis",
                                    "Renata Solis-Whitcombe", ("en", "es", "pt"), ()),
    Role.RR_DISPATCHER: MemberSpec("dispatcher", "rapid", (Role.RR_DISPATCHER,), "Night Owl", "Caspian Mbeki-Torres",
                                   ("en", "es"), (TrainingSpec(_DIS, 400, _VALID),)),
    Role.RR_RESPONDER: MemberSpec("responder", "rapid", (Role.RR_RESPONDER,), "Kestrel", "Amara Nwosu-Lind",
                                  ("en", "fr"), (TrainingSpec(_LO, 250, _VALID), TrainingSpec(_DE, 250, None))),
    Role.ORGANIZER: MemberSpec("organizer", "vecinos", (Role.ORGANIZER,), "Tio Beto", "Alberto Quintanilla Reyes",
                               ("es", "en"), ()),
}  # fmt: skip

VOLUNTEERS = (
    MemberSpec("calloway", "wendeline", (Role.ACCOMPANIER,), "Calloway", "Dorothea Calloway-Ng", ("en", "es"),
               (TrainingSpec(_ACC, 60, _VALID),)),
    MemberSpec("odalys", "thistlecombe", (Role.HOSPITALITY_VOLUNTEER,), "Odalys", "Odalys Ferreira-Brandt",
               ("es", "en"), (TrainingSpec(_HOS, 330, _VALID),)),
    MemberSpec("petrosyan", "beth_amara", (Role.HOSPITALITY_VOLUNTEER, Role.ACCOMPANIER), "Ani P.",
               "Ani Petrosyan-Holt", ("en", "hy"), (TrainingSpec(*_EXPIRED), TrainingSpec(_HOS, 45, _VALID))),
    MemberSpec("amina", "vecinos", (Role.ACCOMPANIER,), "Amina", "Amina Belkacem-Rowe", ("ar", "fr", "en"),
               (TrainingSpec(_ACC, 500, _VALID),)),
    MemberSpec("dmitri", "vecinos", (Role.ACCOMPANIER,), "Dima", "Dmitri Yusupov-Clark", ("ru", "en"),
               (TrainingSpec(*_EXPIRED),)),
    MemberSpec("lupe", "rapid", (Role.RR_RESPONDER,), "Lupe", "Guadalupe Arceneaux-Pinto", ("es", "en"),
               (TrainingSpec(_LO, 100, _VALID),)),
    MemberSpec("thaddeus", "rapid", (Role.RR_RESPONDER,), "Thad", "Thaddeus Okafor-Brennan", ("en",),
               (TrainingSpec(_LO, 700, _VALID), TrainingSpec(_DIS, 20, _VALID))),
    MemberSpec("wren", "wendeline", (Role.HOSPITALITY_VOLUNTEER,), "Wren", "Wren Castellanos-Moy", ("en",),
               (TrainingSpec(_HOS, 75, _VALID),)),
    MemberSpec("ximena", "cedar_hollow", (Role.ACCOMPANIER,), "Xime", "Ximena Duarte-Lindgren", ("es", "en"),
               (TrainingSpec(_ACC, 30, _VALID),)),
    MemberSpec("gideon", "tamsin_justice", (Role.ACCOMPANIER,), "Gideon", "Gideon Afolabi-Strand", ("en", "yo"),
               (TrainingSpec(_ACC, 210, _VALID),)),
    MemberSpec("soren", "thistlecombe", (Role.HOSPITALITY_VOLUNTEER,), "Soren", "Soren Makinen-Diaz", ("en", "fi"),
               (TrainingSpec(_HOS, 900, _VALID), TrainingSpec(_DE, 60, None))),
)  # fmt: skip

PERSONS = (
    PersonSpec("guest", "thistlecombe", "Marisol", "Itzel Marisol Varande Cuaxtli", "A-201-557-384", "Guatemala",
               ("es", "quc")),
    PersonSpec("guest_spouse", "thistlecombe", "Tomas", "Tomas Eliseo Cuaxtli Berrondo", "A-201-557-921",
               "Guatemala", ("es",)),
    PersonSpec("guest_child", "thistlecombe", "Yaretzi", "Yaretzi Noemi Cuaxtli Varande", None, None, ("es", "en")),
    PersonSpec("discerning", "cedar_hollow", "Dieudonne", "Dieudonne Jean-Baptiste Oremil", "A-214-660-013", "Haiti",
               ("ht", "fr")),
    PersonSpec("exited", "thistlecombe", "Oksana", "Oksana Volodymyrivna Tkachuk-Ilves", "A-198-034-552", "Ukraine",
               ("uk", "ru")),
    PersonSpec("luz", "ostervale_legal", "Luz", "Luz Divina Amaya Paredes-Olmo", "A-220-118-407", "Honduras",
               ("es",)),
    PersonSpec("karim", "ostervale_legal", "Karim", "Abdul Karim Sharifzada Noori", "A-219-903-266", "Afghanistan",
               ("fa", "ps")),
    PersonSpec("wilmer", "tamsin_justice", "Wilmer", "Wilmer Anselmo Rivas Quintero-Lazo", "A-207-441-839",
               "El Salvador", ("es",)),
    PersonSpec("rosa", "rapid", "Rosa", "Rosa Elvira Rivas Quintero-Lazo", "A-209-775-160", "El Salvador", ("es",)),
)  # fmt: skip

HOUSEHOLD = (
    HouseholdSpec("guest", "guest_spouse", "Spouse, civil marriage in Larkhaven town hall, 2012"),
    HouseholdSpec("guest", "guest_child", "Daughter, born in Larkhaven, lives with her father on Pellham Row"),
    HouseholdSpec("wilmer", "rosa", "Older sister; they share the Tamsin apartment above the bakery"),
)

"""The occupations a member chooses from; used by a data migration and by tests that flush the database."""

OCCUPATIONS = [
    # code, Indonesian, English, sector
    ("ojek-online", "Pengemudi ojek online", "Ride-hailing motorbike driver", "transport"),
    ("ojek-pangkalan", "Pengemudi ojek pangkalan", "Motorbike taxi driver", "transport"),
    ("kurir", "Kurir", "Courier", "transport"),
    ("sopir-angkot", "Sopir angkot", "Minibus (angkot) driver", "transport"),
    ("sopir-pribadi", "Sopir pribadi", "Private driver", "transport"),
    ("petani", "Petani", "Farmer", "agriculture"),
    ("buruh-tani", "Buruh tani", "Farm labourer", "agriculture"),
    ("peternak", "Peternak", "Livestock farmer", "agriculture"),
    ("nelayan", "Nelayan", "Fisher", "fisheries"),
    ("pembudidaya-ikan", "Pembudidaya ikan", "Fish farmer", "fisheries"),
    ("pedagang-pasar", "Pedagang pasar", "Market trader", "trade"),
    ("pedagang-kaki-lima", "Pedagang kaki lima", "Street vendor", "trade"),
    ("penjual-makanan", "Penjual makanan keliling", "Street food seller", "trade"),
    ("penjual-online", "Penjual online", "Online seller", "trade"),
    ("penjahit", "Penjahit", "Tailor", "services"),
    ("montir", "Montir", "Mechanic", "services"),
    ("tukang-cukur", "Tukang cukur", "Barber", "services"),
    ("profesional-mandiri", "Pekerja profesional mandiri", "Self-employed professional", "services"),
    ("pekerja-lepas", "Pekerja lepas", "Freelancer", "services"),
    ("asisten-rumah-tangga", "Asisten rumah tangga", "Household helper", "household"),
    ("pengasuh-anak", "Pengasuh anak", "Nanny", "household"),
    ("buruh-bangunan", "Buruh bangunan", "Construction labourer", "construction"),
    ("tukang-kayu", "Tukang kayu", "Carpenter", "construction"),
    ("seniman", "Seniman", "Artist", "creative"),
    ("perajin", "Perajin", "Craftsperson", "creative"),
    ("pengusaha-kecil", "Pengusaha kecil", "Small business owner", "other"),
    ("lainnya", "Lainnya", "Other", "other"),
]


def occupations_seed(Occupation) -> None:
    for order, (code, name_id, name_en, sector) in enumerate(OCCUPATIONS):
        Occupation.objects.update_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "sector": sector, "sort_order": order}
        )

"""Problems of an export in Bahasa Indonesia, beside the English the checks write.

Every problem a check reports is written once, in English, where it is found; this module
gives its Indonesian form by pattern, so the two cannot drift apart in meaning: a message
without a pattern here keeps its English (`indonesian` returns it unchanged) and a test lists
any such message the bad-input catalogue produces. Values quoted in a message (a file name, a
code, a date) are carried over as they are.
"""

from __future__ import annotations

import re
from functools import cache

#: (English pattern, Indonesian template). Groups are carried over by name; a group named
#: ``inner`` is itself translated (a reader's reason inside "cannot read the file: …").
PATTERNS: tuple[tuple[str, str], ...] = (
    # reading files
    (r"cannot read the file: (?P<inner>.+)", "berkas tidak dapat dibaca: {inner}"),
    (
        r"the file is (?P<size>[\d,.]+) MB, over the limit of (?P<limit>[\d,.]+) MB "
        r"\(JENJANG_MAX_FILE_MB\); split it, by year or agency, into smaller files",
        "berkas berukuran {size} MB, melebihi batas {limit} MB (JENJANG_MAX_FILE_MB); pecah "
        "berkas per tahun atau per instansi",
    ),
    (
        r"not a readable Excel workbook \((?P<reason>.*)\); the file may be damaged or cut "
        r"short: save it again from Excel, or export it as CSV",
        "bukan buku kerja Excel yang dapat dibaca ({reason}); berkas mungkin rusak atau "
        "terpotong: simpan ulang dari Excel, atau ekspor sebagai CSV",
    ),
    (
        r"the workbook has no sheet with a header row",
        "buku kerja tidak memiliki sheet dengan baris judul kolom",
    ),
    (
        r"not a text file \(it holds binary data\); export the table as CSV",
        "bukan berkas teks (berisi data biner); ekspor tabel sebagai CSV",
    ),
    (
        r"the file is empty: a header row naming the columns is needed",
        "berkas kosong: diperlukan baris judul yang menamai kolom",
    ),
    (
        r"the text is neither UTF-8 nor Windows-1252 \(byte (?P<byte>0x[0-9a-f]+) on line "
        r"(?P<line>\d+)\); save it as 'CSV UTF-8' from Excel",
        "teks bukan UTF-8 maupun Windows-1252 (bita {byte} pada baris {line}); simpan sebagai "
        "'CSV UTF-8' dari Excel",
    ),
    (
        r"not a regular table with (?P<sep>'.'|'\\t') between columns \((?P<reason>.*)\)",
        "bukan tabel yang teratur dengan pemisah kolom {sep} ({reason})",
    ),
    (
        r"not valid JSON \(line (?P<line>\d+), column (?P<col>\d+)\)",
        "bukan JSON yang sah (baris {line}, kolom {col})",
    ),
    (
        r"expected a list of records, or \{\"data\": \[records\]\}",
        'diharapkan daftar rekaman, atau {{"data": [rekaman]}}',
    ),
    (r"the file holds no records", "berkas tidak berisi rekaman"),
    (r"not a known table; skipped", "bukan tabel yang dikenal; dilewati"),
    (
        r"second file for table (?P<table>\S+) \(already read from (?P<first>.+)\)",
        "berkas kedua untuk tabel {table} (sudah dibaca dari {first})",
    ),
    (
        r"read as (?P<layout>.+?): (?P<what>[^;]+); (?P<n>\d+) columns not used: (?P<cols>.+)",
        "dibaca sebagai {layout}: {what}; {n} kolom tidak dipakai: {cols}",
    ),
    (r"read as (?P<layout>.+?): (?P<what>[^;]+)", "dibaca sebagai {layout}: {what}"),
    (
        r"people are named by (?P<header>\S+), but the file that gives their NIP "
        r"\((?P<file>\S+)\) is not in the export",
        "pegawai disebut dengan {header}, tetapi berkas yang memberi NIP-nya ({file}) tidak ada "
        "dalam ekspor",
    ),
    (
        r"(?P<value>.+) is not in (?P<file>\S+): the person has no NIP there",
        "{value} tidak ada di {file}: pegawainya tidak memiliki NIP di sana",
    ),
    (
        r"the post is named by its title, but no column gives its unit \(unor_id, unorId\)",
        "jabatan disebut dengan namanya, tetapi tidak ada kolom unitnya (unor_id, unorId)",
    ),
    (
        r"no column names the person \(one of (?P<names>.+)\)",
        "tidak ada kolom yang menyebut pegawainya (salah satu dari {names})",
    ),
    (
        r"a folder of regions: .*",
        "folder per wilayah: ini dataset nasional yang dipartisi per wilayah, yang dibaca oleh "
        "pekerjaan Spark (`jenjang batch score --data`); ingest membaca satu berkas per tabel",
    ),
    # columns and values
    (r"unknown column; ignored", "kolom tidak dikenal; diabaikan"),
    (r"required column is missing", "kolom wajib tidak ada"),
    (
        r"cannot read (?P<value>.+) as a whole number",
        "{value} tidak dapat dibaca sebagai bilangan bulat",
    ),
    (r"cannot read (?P<value>.+) as a number", "{value} tidak dapat dibaca sebagai angka"),
    (r"cannot read (?P<value>.+) as true/false", "{value} tidak dapat dibaca sebagai ya/tidak"),
    (
        r"cannot read (?P<value>.+) as a date \((?P<forms>.+)\)",
        "{value} tidak dapat dibaca sebagai tanggal ({forms})",
    ),
    (r"a value is required", "nilai wajib diisi"),
    (r"must be unique, but appears more than once", "harus unik, tetapi muncul lebih dari sekali"),
    (
        r"(?P<value>.+) is not a valid (?P<vocabulary>\S+) \(one of (?P<allowed>.+)\)",
        "{value} bukan {vocabulary} yang sah (salah satu dari {allowed})",
    ),
    (r"(?P<value>.+) must be exactly 18 digits", "{value} harus tepat 18 angka"),
    (
        r"(?P<value>.+) must be between (?P<low>\S+) and (?P<high>\S+)",
        "{value} harus antara {low} dan {high}",
    ),
    # identity and NIP
    (
        r"the first 8 digits are not a valid birth date",
        "8 angka pertama bukan tanggal lahir yang sah",
    ),
    (
        r"birth date in the NIP differs from birth_date",
        "tanggal lahir dalam NIP berbeda dengan tanggal lahir",
    ),
    (
        r"digit 15 must be 1 \(male\) or 2 \(female\)",
        "angka ke-15 harus 1 (laki-laki) atau 2 (perempuan)",
    ),
    (r"sex in the NIP differs from sex", "jenis kelamin dalam NIP berbeda dengan jenis kelamin"),
    (
        r"TMT in the NIP differs from hire_date(?P<rest>.*)",
        "TMT dalam NIP berbeda dengan TMT CPNS{rest}",
    ),
    (r"this NIP is stored for another employee", "NIP ini tersimpan untuk pegawai lain"),
    (
        r"the NIP is not a known employee \(neither in this export's employees nor stored\)",
        "NIP ini bukan pegawai yang dikenal (tidak ada di data pegawai ekspor ini maupun yang "
        "tersimpan)",
    ),
    (r"the NIP belongs to another employee_id", "NIP ini milik employee_id lain"),
    # across rows and tables
    (
        r"row repeats an earlier row exactly; kept once(?P<rest>.*)",
        "baris mengulang baris sebelumnya persis; disimpan sekali{rest}",
    ),
    (
        r"same key as row (?P<row>\S+) but different values",
        "kunci sama dengan baris {row} tetapi nilainya berbeda",
    ),
    (r"(?P<value>.+) is not a known (?P<ref>\S+)", "{value} bukan {ref} yang dikenal"),
    (r"(?P<value>.+) is in the future", "{value} berada di masa depan"),
    (r"ends before its (?P<start>\S+)", "berakhir sebelum {start}"),
    (
        r"recorded before (?P<column>\S+): the fact was not known yet",
        "dicatat sebelum {column}: fakta itu belum diketahui",
    ),
    (
        r"evaluation for (?P<year>\d+), before the employee was hired",
        "penilaian tahun {year}, sebelum pegawai diangkat",
    ),
    (
        r"(?P<column>\S+) is before the employee's hire_date \(TMT\)(?P<rest>.*)",
        "{column} sebelum TMT CPNS pegawai{rest}",
    ),
    (
        r"(?P<column>\S+) is after the employee's exit_date(?P<rest>.*)",
        "{column} sesudah tanggal keluar pegawai{rest}",
    ),
    (r"the numeric SKP scheme needs a score", "SKP skema angka memerlukan nilai"),
    (
        r"the 2022 scheme needs work_result and work_behaviour",
        "skema 2022 memerlukan hasil kerja dan perilaku kerja",
    ),
    (
        r"rating does not follow from the score or the predikat matrix; "
        r"kept as recorded(?P<rest>.*)",
        "predikat tidak sesuai dengan nilai atau matriks predikat; disimpan seperti dicatat{rest}",
    ),
    (
        r"scheme does not match the year \(predikat scheme from (?P<first>\d+)\)(?P<rest>.*)",
        "skema tidak sesuai dengan tahunnya (skema predikat sejak {first}){rest}",
    ),
    (
        r"title matches no catalogue course; course_id left empty(?P<rest>.*)",
        "judul tidak cocok dengan pelatihan di katalog; course_id dibiarkan kosong{rest}",
    ),
    # what exports leave out (features.ingest.completion)
    (
        r"no post (?P<title>.+) in unit (?P<unit>.+) among the positions \(peta jabatan\); "
        r"add it to the positions file",
        "tidak ada jabatan {title} di unit {unit} dalam peta jabatan; tambahkan ke berkas jabatan",
    ),
    (
        r"(?P<n>[\d,]+) rows do not say when they were recorded; give the export's extraction "
        r"date \(--extracted-on YYYY-MM-DD\) to date them by the rule in docs/import.md",
        "{n} baris tidak menyebut kapan dicatat; berikan tanggal ekstraksi (--extracted-on "
        "YYYY-MM-DD) agar diberi tanggal menurut aturan di docs/import.md",
    ),
    (
        r"(?P<n>[\d,]+) rows without recorded_at took (?P<rule>.+) \(at the latest the "
        r"extraction date, (?P<date>[\d-]+)\)",
        "{n} baris tanpa tanggal dicatat diberi {rule} (paling lambat tanggal ekstraksi, {date})",
    ),
    (r"(?P<value>.+) is not a level; not used", "{value} bukan jenjang pendidikan; tidak dipakai"),
    # mapping files (features.ingest.layouts)
    (
        r"not a readable YAML mapping file \((?P<reason>.*)\)",
        "bukan berkas pemetaan YAML yang dapat dibaca ({reason})",
    ),
    (r"a mapping file needs a 'files:' section", "berkas pemetaan memerlukan bagian 'files:'"),
    (
        r"(?P<table>'[^']+') is not a table Jenjang knows",
        "{table} bukan tabel yang dikenal Jenjang",
    ),
    (
        r"(?P<column>'[^']+') is not a column of (?P<table>\S+) \(one of (?P<allowed>.+)\)",
        "{column} bukan kolom tabel {table} (salah satu dari {allowed})",
    ),
    (r"expected a list, not (?P<kind>\S+)", "diharapkan sebuah daftar, bukan {kind}"),
    (
        r"expected a mapping \(name: value lines\), not (?P<kind>\S+)",
        "diharapkan pemetaan (baris nama: nilai), bukan {kind}",
    ),
    (
        r"expected a header, a list of headers or a mapping",
        "diharapkan satu judul kolom, daftar judul kolom, atau pemetaan",
    ),
    (
        r"unknown transform (?P<name>'[^']+') \(one of (?P<allowed>.+)\)",
        "transformasi {name} tidak dikenal (salah satu dari {allowed})",
    ),
    (
        r"say how to find the file \('file:' pattern or 'recognise:'\)",
        "sebutkan cara menemukan berkasnya (pola 'file:' atau 'recognise:')",
    ),
    (r"(?P<where>[^\s:]+): (?P<inner>.+)", "{where}: {inner}"),
)

#: Words inside carried-over text that read better in Indonesian (the rule names above).
WORDS = {
    "its start_date": "TMT-nya",
    "its decided_on": "tanggal keputusannya",
    "its end_date": "tanggal selesainya",
    "its hire_date": "TMT CPNS-nya",
    "its assessed_on": "tanggal asesmennya",
    "the extraction date": "tanggal ekstraksi",
    "rows, e.g. rows": "baris, misalnya baris",
}


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(f"^{pattern}$", re.DOTALL), template) for pattern, template in PATTERNS
    )


def indonesian(message: str) -> str:
    """The Indonesian form of an English problem message (unchanged when no pattern fits)."""
    for pattern, template in _compiled():
        found = pattern.match(message)
        if found is None:
            continue
        if pattern.pattern.startswith("^(?P<where>") and found["inner"] == message:
            continue
        groups = {k: _words(v or "") for k, v in found.groupdict().items()}
        if "inner" in groups:
            inner = indonesian(found["inner"])
            if inner == found["inner"] and pattern.pattern.startswith("^(?P<where>"):
                continue
            groups["inner"] = inner
        return template.format(**groups)
    return message


def translated(message: str) -> bool:
    """Whether `message` has an Indonesian form."""
    return indonesian(message) != message


def _words(text: str) -> str:
    for english, bahasa in WORDS.items():
        text = text.replace(english, bahasa)
    return text

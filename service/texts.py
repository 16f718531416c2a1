"""What the pages say, in Bahasa Indonesia (the default) and English.

One dictionary per language with the same keys; a test checks they match. Templates read
``t.key``; the language comes from the ``bahasa`` cookie that the switch sets.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")
DEFAULT = "id"

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "app": "Jenjang",
        "tagline": "Karier ASN yang terarah dan dapat dijelaskan",
        "login": "Masuk",
        "logout": "Keluar",
        "username": "Nama pengguna",
        "password": "Kata sandi",
        "wrong_login": "Nama pengguna atau kata sandi salah.",
        "my_career": "Karier Saya",
        "position": "Jabatan",
        "grade": "Golongan",
        "talent_box": "Kotak talenta",
        "no_box": "belum ada (belum diasesmen)",
        "competencies": "Kompetensi saya terhadap standar jabatan",
        "required": "standar",
        "level": "level saya",
        "measured": "terukur",
        "estimated": "perkiraan",
        "jp_progress": "Pengembangan kompetensi tahun ini",
        "jp_of": "JP dari hak",
        "trainings": "Pelatihan yang disarankan",
        "why": "Alasan",
        "interested": "Tertarik",
        "not_relevant": "Tidak relevan",
        "reason": "Alasan (wajib untuk 'tidak relevan')",
        "send": "Kirim",
        "thanks": "Terima kasih, tanggapan Anda tersimpan.",
        "paths": "Langkah karier berikutnya",
        "eligible_now": "memenuhi syarat sekarang",
        "eligible_from": "memenuhi syarat mulai",
        "not_by_time": "belum memenuhi syarat",
        "missing": "kompetensi yang perlu ditingkatkan",
        "model": "dihasilkan oleh model",
        "data": "data",
        "advisory": "Saran ini bersifat rekomendasi; keputusan tetap pada pejabat yang berwenang.",
        "not_found": "Halaman atau data tidak ditemukan.",
        "forbidden": "Anda tidak berhak membuka halaman ini.",
        "language": "English",
        "no_page_yet": "Halaman untuk peran ini sedang disiapkan; gunakan API (/docs).",
    },
    "en": {
        "app": "Jenjang",
        "tagline": "Civil-service careers, guided and explained",
        "login": "Sign in",
        "logout": "Sign out",
        "username": "Username",
        "password": "Password",
        "wrong_login": "Wrong username or password.",
        "my_career": "My career",
        "position": "Position",
        "grade": "Grade",
        "talent_box": "Talent box",
        "no_box": "none yet (not assessed)",
        "competencies": "My competencies against my position's standard",
        "required": "standard",
        "level": "my level",
        "measured": "measured",
        "estimated": "estimated",
        "jp_progress": "Competency development this year",
        "jp_of": "JP of the right to",
        "trainings": "Recommended trainings",
        "why": "Why",
        "interested": "Interested",
        "not_relevant": "Not relevant",
        "reason": "Reason (required for 'not relevant')",
        "send": "Send",
        "thanks": "Thank you, your answer is saved.",
        "paths": "Next career steps",
        "eligible_now": "eligible now",
        "eligible_from": "eligible from",
        "not_by_time": "not eligible yet",
        "missing": "competencies to raise",
        "model": "produced by model",
        "data": "data",
        "advisory": "Suggestions are advisory; the decision stays with the official in charge.",
        "not_found": "Page or record not found.",
        "forbidden": "You may not open this page.",
        "language": "Bahasa Indonesia",
        "no_page_yet": "The page for this role is being prepared; use the API (/docs).",
    },
}


def texts(language: str | None) -> dict[str, str]:
    """The page texts of `language` (the default for anything else)."""
    return TEXTS[language if language in LANGUAGES else DEFAULT]

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
        "lockout_hint": "Setelah {failures} kali gagal dalam {window} menit, akun dikunci "
        "{lockout} menit.",
        "throttled_login": (
            "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi nanti."
        ),
        "accounts": "Akun pengguna",
        "accounts_note": (
            "Menonaktifkan akun, mengganti kata sandinya, atau mengubah lingkupnya langsung "
            "mengakhiri semua sesinya."
        ),
        "role": "Peran",
        "scope": "Lingkup",
        "account_status": "Status",
        "active": "aktif",
        "inactive": "nonaktif",
        "locked_until": "terkunci sampai",
        "last_sign_in": "Terakhir masuk",
        "never": "belum pernah",
        "created": "Dibuat",
        "scope_all": "semua",
        "aggregates_only": "hanya agregat",
        "n_agencies": "{n} instansi",
        "disable": "Nonaktifkan",
        "enable": "Aktifkan",
        "new_password": "Kata sandi baru",
        "repeat_password": "Ulangi kata sandi baru",
        "reset_password": "Ganti kata sandi",
        "set_scope": "Ubah lingkup",
        "agencies_in_scope": "Instansi dalam lingkup",
        "analyst_scope_note": "Analis tanpa instansi hanya melihat agregat.",
        "admin_scope_note": "Administrator melihat semua instansi; tidak ada lingkup yang diatur.",
        "done_disabled": "Akun dinonaktifkan; semua sesinya berakhir.",
        "done_enabled": "Akun diaktifkan kembali dan kuncinya dibuka.",
        "done_password_reset": "Kata sandi diganti; semua sesi akun ini berakhir.",
        "done_scope_changed": "Lingkup diubah; akun ini perlu masuk lagi.",
        "passwords_differ": "Kedua kata sandi tidak sama.",
        "not_yourself": "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        "refused_password_short": "Kata sandi minimal {n} karakter.",
        "refused_password_long": "Kata sandi paling banyak {n} karakter.",
        "refused_asn_needs_employee": "Akun ASN memerlukan ID pegawainya sendiri.",
        "refused_asn_no_agency": "Akun ASN hanya melihat datanya sendiri, tanpa instansi.",
        "refused_planner_needs_agency": "Perencana SDM memerlukan minimal satu instansi.",
        "refused_employee_only_asn": "Hanya akun ASN yang terikat pada ID pegawai.",
        "refused_admin_no_scope": (
            "Administrator melihat semua instansi; tidak ada lingkup yang diatur."
        ),
        "refused_unknown_employee": "Pegawai {employee_id} tidak ada di basis data.",
        "refused_unknown_agency": "Instansi {agencies} tidak ada di basis data.",
        "refused_no_account": "Akun {username} tidak ada.",
        "account_history": "Riwayat akun",
        "when": "waktu",
        "event": "peristiwa",
        "outcome": "hasil",
        "address": "alamat",
        "actor": "oleh",
        "no_events": "Belum ada riwayat.",
        "my_career": "Karier Saya",
        "position": "Jabatan",
        "grade": "Golongan",
        "talent_box": "Kotak talenta",
        "no_box": "belum ada (belum diasesmen)",
        "competencies": "Kompetensi saya terhadap standar jabatan",
        "required": "standar",
        "level": "level saya",
        "estimated": "perkiraan (belum diasesmen)",
        "jp_progress": "Pengembangan kompetensi tahun ini",
        "jp_of": "JP dari hak",
        "trainings": "Pelatihan yang disarankan",
        "why": "Alasan",
        "interested": "Tertarik",
        "not_relevant": "Tidak relevan",
        "reason": "Alasan (wajib untuk 'tidak relevan')",
        "thanks": "Terima kasih, tanggapan Anda tersimpan.",
        "paths": "Langkah karier berikutnya",
        "eligible_now": "memenuhi syarat sekarang",
        "eligible_from": "memenuhi syarat mulai",
        "not_by_time": "belum memenuhi syarat",
        "missing": "kompetensi yang perlu ditingkatkan",
        "model": "dihasilkan oleh model",
        "data": "data",
        "data_as_of": "Data per",
        "advisory": "Saran ini bersifat rekomendasi; keputusan tetap pada pejabat yang berwenang.",
        "not_found": "Halaman atau data tidak ditemukan.",
        "forbidden": "Anda tidak berhak membuka halaman ini.",
        "language": "English",
        "posts": "Jabatan dan lowongan",
        "vacant_only": "hanya yang lowong",
        "all_posts": "semua jabatan",
        "open_seats": "kursi lowong",
        "holders": "pemangku",
        "candidates": "Kandidat",
        "candidate": "Pegawai",
        "chance": "peluang berhasil",
        "chance_short": "SKP minimal Baik",
        "chance_meaning": (
            "Arti peluang berhasil: perkiraan peluang pegawai mendapat SKP minimal Baik pada "
            "tahun pertama di jabatan ini. Dari 10 kandidat dengan peluang 70%, sekitar 7 "
            "diperkirakan mendapat SKP minimal Baik."
        ),
        "chance_calibrated": (
            "Angka ini dikalibrasi pada putaran penempatan {rounds}, yang tidak dipakai untuk "
            "melatih model: {rate}% dari {placements} pegawai yang dipromosikan saat itu "
            "mendapat SKP minimal Baik, dan rata-rata perkiraan model disamakan dengan angka itu."
        ),
        "chance_not_calibrated": (
            "Versi model ini belum dikalibrasi (terlalu sedikit penempatan yang gagal dalam data "
            "latihnya), jadi angkanya bisa lebih tinggi daripada kenyataan."
        ),
        "chance_caution": (
            "Sebagian besar pegawai mendapat SKP minimal Baik, jadi angka yang tinggi belum "
            "berarti kinerja yang menonjol; urutan kandidat lebih bermakna daripada selisih "
            "kecil antarangka."
        ),
        "plan_total_meaning": (
            "Total peluang adalah perkiraan banyaknya penempatan dalam rencana ini yang akan "
            "mendapat SKP minimal Baik."
        ),
        "fit": "kecocokan kompetensi",
        "rating": "predikat terakhir",
        "eligibility": "kelayakan",
        "eligible": "memenuhi syarat",
        "accept": "Terima",
        "reject": "Tolak",
        "reject_reason": "Alasan (wajib untuk menolak)",
        "no_candidates": "Tidak ada kandidat yang memenuhi syarat dalam lingkup Anda.",
        "not_rankable": "Kandidat hanya diperingkat untuk jabatan struktural.",
        "agency": "Instansi",
        "nine_box": "Sebaran kotak talenta (9-box)",
        "performance": "kinerja",
        "potential": "potensi",
        "no_box_count": "belum punya kotak",
        "withheld": (
            "disembunyikan: kurang dari {k} orang, atau disembunyikan bersama sel seperti itu "
            "agar tidak dapat dihitung dari jumlahnya (UU 27/2022)"
        ),
        "my_data": "Data saya",
        "my_data_note": (
            "Unduh semua yang disimpan Jenjang tentang Anda: data kepegawaian, profil, saran "
            "yang ditampilkan dan tanggapan Anda (UU 27/2022). Unduhan ini dicatat."
        ),
        "download_json": "Unduh (JSON)",
        "download_csv": "Unduh (CSV, zip)",
        "succession": "Kelompok rencana suksesi (kotak 7–9)",
        "readiness": "kesiapan",
        "against_next": "Garis putus-putus: standar jabatan tujuan",
        "route_here": "rute ke jabatan ini",
        "routes_to": "Rute menuju",
        "courses_for_step": "pelatihan",
        "no_route": "Belum ada rute dalam tiga langkah.",
        "wrong_method": "Alamat ini tidak menerima permintaan seperti itu.",
        "home": "Kembali ke beranda",
        "invalid_input": "Isian tidak dapat diterima",
        "ratings": "Predikat kinerja (SKP) terakhir",
        "profile": "Profil pegawai",
        "competencies_of": "Kompetensi terhadap standar jabatan",
        "their_level": "level pegawai",
        "gated_note": "metrik yang diperiksa gerbang promosi",
        "forced": "dipaksa",
        "previous": "sebelumnya",
        "next": "berikutnya",
        "rankable_note": (
            "Kandidat diperingkat untuk jabatan struktural (diisi lewat penempatan); jabatan "
            "fungsional diisi lewat jenjang jabatan fungsional."
        ),
        "from_rules": "disusun dari aturan kepegawaian dan kecocokan kompetensi, tanpa model",
        "busy": "Sedang ada pemuatan ulang model; coba lagi sebentar lagi.",
        "unavailable": (
            "Layanan belum dapat menjawab (model belum siap atau basis data tidak terjangkau); "
            "coba lagi sebentar lagi."
        ),
        "internal_error": "Terjadi kesalahan pada layanan; sebutkan kode ini bila melapor",
        "baselines": "Model pembanding pada siklus yang sama",
        "stale_suggestion": "Saran tidak ditemukan atau bukan milik Anda lagi; muat ulang halaman.",
        "wrong_decision": "Tanggapan itu tidak berlaku untuk saran ini.",
        "reload_failed": "Model dipindahkan, tetapi layanan belum memuatnya",
        "reload_busy": "Model dipindahkan; pemuatan ulang yang sedang berjalan akan memakainya.",
        "move_reason": "Tuliskan alasan: setiap perpindahan model dicatat bersama alasannya.",
        "moved": "Model dipindahkan dan layanan sudah memuat ulang.",
        "registry_down": "Registri model tidak menjawab",
        "menu": "Menu",
        "national": "Nasional",
        "national_intro": "Jawaban harian dari pekerjaan batch nasional: pelatihan yang disarankan "
        "bagi siapa pun dan kandidat suatu jabatan dari seluruh Indonesia, dalam lingkup Anda.",
        "national_unavailable": "Layanan ini tidak melayani keluaran nasional.",
        "employee_id": "ID pegawai",
        "position_id": "ID jabatan",
        "show": "Tampilkan",
        "plan": "Rencana penempatan",
        "agencies": "Instansi",
        "models": "Model",
        "import_templates": "Templat impor",
        "unknown_target": "Jabatan tujuan itu tidak ditemukan; yang ditampilkan adalah langkah "
        "berikut terbaik Anda.",
        "people": "pegawai",
        "needs": "Kebutuhan pelatihan",
        "below_right": "Di bawah hak JP tahun ini",
        "to_reach_right": "untuk mencapai hak",
        "needs_rule": (
            "Kesenjangan: level di bawah standar jabatan sendiri sedikitnya 0,5 level "
            "(heuristik, dapat diatur)."
        ),
        "shared_gaps": "Kesenjangan kompetensi yang paling banyak dimiliki bersama",
        "people_with_gap": "pegawai",
        "mean_shortfall": "rata-rata kekurangan",
        "levels": "level",
        "course": "Pelatihan",
        "participants": "peserta yang cocok",
        "jp_total": "total JP",
        "no_course": "Tidak ada pelatihan di katalog untuk level ini.",
        "no_gaps": "Tidak ada kesenjangan bersama.",
        "plan_result": "Usulan rencana",
        "unfilled": "tidak terisi: tidak ada kandidat yang memenuhi syarat",
        "plan_total": "Total peluang berhasil rencana ini",
        "greedy_total": "mengisi satu per satu",
        "choose_vacancies": "Pilih beberapa jabatan (yang lowong lebih dulu)",
        "no_vacancies": "Tidak ada jabatan struktural dalam lingkup Anda.",
        "make_plan": "Buat rencana",
        "not_plannable": "Rencana tidak dapat dibuat",
        "gate": "Gerbang promosi",
        "challenger": "penantang",
        "champion": "juara",
        "against": "terhadap",
        "test_cycle": "siklus uji",
        "tolerance": "toleransi",
        "metric": "Metrik",
        "relative": "selisih relatif",
        "gate_passed": "Lolos gerbang: penantang boleh dipromosikan.",
        "gate_refused": (
            "Tidak lolos gerbang: penantang lebih buruk dari juara melebihi toleransi."
        ),
        "in_service": "Dalam layanan",
        "not_loaded": "tidak termuat",
        "no_versions": "Belum ada versi terdaftar.",
        "registered": "terdaftar",
        "data_snapshot": "snapshot data",
        "training_cutoff": "batas data latih",
        "commit": "commit",
        "overall_metrics": "Metrik keseluruhan",
        "own_cycle_note": (
            "Tiap versi diukur pada siklus ujinya sendiri; 'Bandingkan sekarang' dan "
            "promosi menilai keduanya pada siklus yang sama."
        ),
        "per_slice": "Metrik per kelompok (jenis jabatan, instansi)",
        "fairness": "Laporan keadilan",
        "fairness_note": (
            "Rasio dampak terkecil per atribut (jenis kelamin, kelompok usia); "
            "di bawah 0,8 perlu ditinjau."
        ),
        "no_fairness": "Model ini tidak mencatat metrik keadilan.",
        "compare_now": "Bandingkan sekarang",
        "reason_required": "Alasan (wajib, dicatat)",
        "promote": "Promosikan",
        "to_version": "ke versi (opsional)",
        "rollback": "Kembalikan",
        "history": "Riwayat perpindahan",
        "moved_at": "waktu",
        "moved_by": "oleh",
        "from_to": "dari → ke",
        "all_versions": "Semua versi",
        "below_threshold": "di bawah ambang",
    },
    "en": {
        "app": "Jenjang",
        "tagline": "Civil-service careers, guided and explained",
        "login": "Sign in",
        "logout": "Sign out",
        "username": "Username",
        "password": "Password",
        "wrong_login": "Wrong username or password.",
        "lockout_hint": "After {failures} failures within {window} minutes an account is "
        "locked for {lockout} minutes.",
        "throttled_login": "Too many failed sign-ins from this address. Try again later.",
        "accounts": "User accounts",
        "accounts_note": (
            "Disabling an account, replacing its password or changing its scope ends all its "
            "sessions at once."
        ),
        "role": "Role",
        "scope": "Scope",
        "account_status": "Status",
        "active": "active",
        "inactive": "disabled",
        "locked_until": "locked until",
        "last_sign_in": "Last sign-in",
        "never": "never",
        "created": "Created",
        "scope_all": "all",
        "aggregates_only": "aggregates only",
        "n_agencies": "{n} agencies",
        "disable": "Disable",
        "enable": "Enable",
        "new_password": "New password",
        "repeat_password": "Repeat the new password",
        "reset_password": "Replace password",
        "set_scope": "Change scope",
        "agencies_in_scope": "Agencies in scope",
        "analyst_scope_note": "An analyst without agencies sees aggregates only.",
        "admin_scope_note": "An administrator sees every agency: there is no scope to set.",
        "done_disabled": "Account disabled; all its sessions have ended.",
        "done_enabled": "Account enabled again, and its lock lifted.",
        "done_password_reset": "Password replaced; every session of this account has ended.",
        "done_scope_changed": "Scope changed; the account must sign in again.",
        "passwords_differ": "The two passwords differ.",
        "not_yourself": "You cannot disable your own account.",
        "refused_password_short": "A password needs at least {n} characters.",
        "refused_password_long": "A password has at most {n} characters.",
        "refused_asn_needs_employee": "An ASN account needs their own employee id.",
        "refused_asn_no_agency": "An ASN account sees their own record only, no agency.",
        "refused_planner_needs_agency": "An HR planner needs at least one agency.",
        "refused_employee_only_asn": "Only an ASN account is bound to an employee id.",
        "refused_admin_no_scope": "An administrator sees every agency: there is no scope to set.",
        "refused_unknown_employee": "There is no employee {employee_id} in the database.",
        "refused_unknown_agency": "There is no agency {agencies} in the database.",
        "refused_no_account": "There is no account {username}.",
        "account_history": "Account history",
        "when": "when",
        "event": "event",
        "outcome": "outcome",
        "address": "address",
        "actor": "by",
        "no_events": "No history yet.",
        "my_career": "My career",
        "position": "Position",
        "grade": "Grade",
        "talent_box": "Talent box",
        "no_box": "none yet (not assessed)",
        "competencies": "My competencies against my position's standard",
        "required": "standard",
        "level": "my level",
        "estimated": "estimated (not assessed)",
        "jp_progress": "Competency development this year",
        "jp_of": "JP of the right to",
        "trainings": "Recommended trainings",
        "why": "Why",
        "interested": "Interested",
        "not_relevant": "Not relevant",
        "reason": "Reason (required for 'not relevant')",
        "thanks": "Thank you, your answer is saved.",
        "paths": "Next career steps",
        "eligible_now": "eligible now",
        "eligible_from": "eligible from",
        "not_by_time": "not eligible yet",
        "missing": "competencies to raise",
        "model": "produced by model",
        "data": "data",
        "data_as_of": "Data as of",
        "advisory": "Suggestions are advisory; the decision stays with the official in charge.",
        "not_found": "Page or record not found.",
        "forbidden": "You may not open this page.",
        "language": "Bahasa Indonesia",
        "posts": "Positions and vacancies",
        "vacant_only": "vacant only",
        "all_posts": "all positions",
        "open_seats": "open seats",
        "holders": "holders",
        "candidates": "Candidates",
        "candidate": "Employee",
        "chance": "chance of success",
        "chance_short": "SKP at least Baik",
        "chance_meaning": (
            "What the chance of success means: the estimated chance that the person's SKP for "
            "their first year in this post is at least Baik. Of 10 candidates shown at 70%, "
            "about 7 are expected to get at least Baik."
        ),
        "chance_calibrated": (
            "It is calibrated on the {rounds} placement round, which the model was not trained "
            "on: {rate}% of the {placements} people promoted then got at least Baik, and the "
            "model's mean estimate was set to that figure."
        ),
        "chance_not_calibrated": (
            "This model version is not calibrated (too few failed placements in its training "
            "data), so its figures may run higher than what happens."
        ),
        "chance_caution": (
            "Most civil servants get an SKP of at least Baik, so a high figure does not mean "
            "outstanding performance; the candidates' order says more than small differences "
            "between figures."
        ),
        "plan_total_meaning": (
            "The total is the expected number of placements in this plan that will get an SKP "
            "of at least Baik."
        ),
        "fit": "competency fit",
        "rating": "last rating",
        "eligibility": "eligibility",
        "eligible": "eligible",
        "accept": "Accept",
        "reject": "Reject",
        "reject_reason": "Reason (required to reject)",
        "no_candidates": "No eligible candidate in your scope.",
        "not_rankable": "Candidates are ranked for structural posts only.",
        "agency": "Agency",
        "nine_box": "Talent boxes (9-box)",
        "performance": "performance",
        "potential": "potential",
        "no_box_count": "without a box",
        "withheld": (
            "withheld: fewer than {k} people, or hidden with such a cell so that it cannot be "
            "worked out from the total (UU 27/2022)"
        ),
        "my_data": "My data",
        "my_data_note": (
            "Download everything Jenjang holds on you: your personnel records, profile, the "
            "suggestions shown and your feedback (UU 27/2022). The download is recorded."
        ),
        "download_json": "Download (JSON)",
        "download_csv": "Download (CSV, zip)",
        "succession": "Succession pool (boxes 7–9)",
        "readiness": "readiness",
        "against_next": "Dashed mark: the standard of the post in view",
        "route_here": "route to this post",
        "routes_to": "Routes to",
        "courses_for_step": "courses",
        "no_route": "No route within three moves.",
        "wrong_method": "This address does not take that kind of request.",
        "home": "Back to the start page",
        "invalid_input": "This input cannot be accepted",
        "ratings": "Recent SKP ratings",
        "profile": "Employee profile",
        "competencies_of": "Competencies against the position's standard",
        "their_level": "their level",
        "gated_note": "metrics the promotion gate checks",
        "forced": "forced",
        "previous": "previous",
        "next": "next",
        "rankable_note": (
            "Candidates are ranked for structural posts (filled by placement); functional posts "
            "are filled along their own career ladder."
        ),
        "from_rules": "from the civil-service rules and competency fit, no learned model",
        "busy": "A model reload is under way; try again shortly.",
        "unavailable": (
            "The service cannot answer just now (its models are not ready or its database is "
            "unreachable); try again shortly."
        ),
        "internal_error": "Something went wrong in the service; quote this reference",
        "baselines": "Baselines on the same cycle",
        "stale_suggestion": "This suggestion was not found or is no longer yours; reload the page.",
        "wrong_decision": "That answer does not apply to this suggestion.",
        "reload_failed": "The model was moved, but the service has not loaded it",
        "reload_busy": "The model was moved; another reload is under way and will pick it up.",
        "move_reason": "Give a reason: every model move is recorded with its reason.",
        "moved": "Model moved; the service has reloaded.",
        "registry_down": "The model registry did not answer",
        "menu": "Menu",
        "national": "National",
        "national_intro": "The day's answers of the national batch jobs: recommended trainings "
        "for anyone and a post's candidates from all of Indonesia, within your scope.",
        "national_unavailable": "This service does not serve national output.",
        "employee_id": "Employee id",
        "position_id": "Position id",
        "show": "Show",
        "plan": "Placement plan",
        "agencies": "Agencies",
        "models": "Models",
        "import_templates": "Import templates",
        "unknown_target": "That post was not found; your best next step is shown instead.",
        "people": "people",
        "needs": "Training needs",
        "below_right": "Below the JP right this year",
        "to_reach_right": "to reach the right",
        "needs_rule": (
            "A gap: a level at least 0.5 below the standard of one's own post "
            "(a heuristic, configurable)."
        ),
        "shared_gaps": "The competency gaps most shared",
        "people_with_gap": "people",
        "mean_shortfall": "mean shortfall",
        "levels": "levels",
        "course": "Course",
        "participants": "suited participants",
        "jp_total": "total JP",
        "no_course": "No course in the catalogue for these levels.",
        "no_gaps": "No shared gap.",
        "plan_result": "Proposed plan",
        "unfilled": "left open: no eligible candidate",
        "plan_total": "Total chance of success of this plan",
        "greedy_total": "filling them one by one",
        "choose_vacancies": "Choose several posts (vacant ones first)",
        "no_vacancies": "No structural post in your scope.",
        "make_plan": "Make a plan",
        "not_plannable": "No plan can be made",
        "gate": "Promotion gate",
        "challenger": "challenger",
        "champion": "champion",
        "against": "against",
        "test_cycle": "test cycle",
        "tolerance": "tolerance",
        "metric": "Metric",
        "relative": "relative difference",
        "gate_passed": "Passes the gate: the challenger may be promoted.",
        "gate_refused": (
            "Fails the gate: the challenger is worse than the champion beyond the tolerance."
        ),
        "in_service": "In service",
        "not_loaded": "not loaded",
        "no_versions": "No registered version yet.",
        "registered": "registered",
        "data_snapshot": "data snapshot",
        "training_cutoff": "training data up to",
        "commit": "commit",
        "overall_metrics": "Overall metrics",
        "own_cycle_note": (
            "Each version is measured on its own test cycle; 'Compare now' and "
            "promotion evaluate both on the same cycle."
        ),
        "per_slice": "Metrics per slice (kind of post, agency)",
        "fairness": "Fairness report",
        "fairness_note": (
            "Smallest impact ratio per attribute (sex, age band); below 0.8 needs a review."
        ),
        "no_fairness": "This model logs no fairness metric.",
        "compare_now": "Compare now",
        "reason_required": "Reason (required, recorded)",
        "promote": "Promote",
        "to_version": "to version (optional)",
        "rollback": "Roll back",
        "history": "History of moves",
        "moved_at": "when",
        "moved_by": "by",
        "from_to": "from → to",
        "all_versions": "All versions",
        "below_threshold": "below the threshold",
    },
}


def texts(language: str | None) -> dict[str, str]:
    """The page texts of `language` (the default for anything else)."""
    return TEXTS[language if language in LANGUAGES else DEFAULT]

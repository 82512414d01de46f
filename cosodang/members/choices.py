"""Reference pick lists for member profiles (cand-structure.md); editable data, not regulation."""

from django.db import models


class Sex(models.TextChoices):
    MALE = "M", "Nam"
    FEMALE = "F", "Nữ"


class Rank(models.TextChoices):
    """CAND ranks (cấp bậc hàm), low to high; civilian staff have none."""

    NONE = "", "Không có cấp bậc"
    BINH_NHI = "binh_nhi", "Binh nhì"
    BINH_NHAT = "binh_nhat", "Binh nhất"
    HA_SI = "ha_si", "Hạ sĩ"
    TRUNG_SI = "trung_si", "Trung sĩ"
    THUONG_SI = "thuong_si", "Thượng sĩ"
    THIEU_UY = "thieu_uy", "Thiếu úy"
    TRUNG_UY = "trung_uy", "Trung úy"
    THUONG_UY = "thuong_uy", "Thượng úy"
    DAI_UY = "dai_uy", "Đại úy"
    THIEU_TA = "thieu_ta", "Thiếu tá"
    TRUNG_TA = "trung_ta", "Trung tá"
    THUONG_TA = "thuong_ta", "Thượng tá"
    DAI_TA = "dai_ta", "Đại tá"
    THIEU_TUONG = "thieu_tuong", "Thiếu tướng"
    TRUNG_TUONG = "trung_tuong", "Trung tướng"
    THUONG_TUONG = "thuong_tuong", "Thượng tướng"
    DAI_TUONG = "dai_tuong", "Đại tướng"


class Education(models.TextChoices):
    """Professional education level (trình độ chuyên môn)."""

    NONE = "", "Chưa qua đào tạo"
    TRUNG_CAP = "trung_cap", "Trung cấp"
    CAO_DANG = "cao_dang", "Cao đẳng"
    DAI_HOC = "dai_hoc", "Đại học"
    THAC_SI = "thac_si", "Thạc sĩ"
    TIEN_SI = "tien_si", "Tiến sĩ"


class TheoryLevel(models.TextChoices):
    """Political theory level (lý luận chính trị)."""

    NONE = "", "Chưa qua đào tạo"
    SO_CAP = "so_cap", "Sơ cấp"
    TRUNG_CAP = "trung_cap", "Trung cấp"
    CAO_CAP = "cao_cap", "Cao cấp"
    CU_NHAN = "cu_nhan", "Cử nhân"


class GapReason(models.TextChoices):
    """Why a period does not count towards Party age (rules.md §3.5)."""

    EXPELLED = "expelled", "Bị khai trừ"
    REMOVED = "removed", "Bị xóa tên"
    LOST_CONTACT = "lost_contact", "Mất liên lạc"
    TRANSFER = "transfer", "Gián đoạn do chuyển sinh hoạt"
    OTHER = "other", "Khác"


class PositionKind(models.TextChoices):
    PARTY = "party", "Chức vụ Đảng"
    POLICE = "police", "Chức vụ chính quyền/công an"

"""Demo reference lists (cand-structure.md) and the planned CAND-shaped organisation tree.

Everything here is pure (no database): lists are plausible, not authoritative — commune names
are not placed by real geography and unit codes are stable mnemonics, not official ones.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from cosodang.core.vn import format_date
from cosodang.orgs.rules import OrgType, is_cell
from cosodang.orgs.services import path_segment

ROOT_CODE = "CATW"
DEMO_CELL_CODE = "HN-PC02-D01"  # Hà Nội, Phòng Cảnh sát hình sự, Đội 1: the demo secretary's cell
DEMO_CELL_SIZE = 18
MEMBERS_PER_CELL = 17
ROOT_SINCE, MINISTRY_SINCE, PROVINCE_SINCE = date(2001, 1, 15), date(2018, 8, 1), date(2025, 7, 1)


def _items(text: str, sep: str = ",") -> tuple[str, ...]:
    """Split a separated list written over several lines, dropping blanks."""
    return tuple(s.strip() for s in text.replace("\n", sep).split(sep) if s.strip())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """Parse "Nguyễn 38, Trần 11" into (name, weight) pairs; the weight is the last word."""
    return tuple((name, float(w)) for name, w in (i.rsplit(" ", 1) for i in _items(text)))


def _rows(text: str) -> list[list[str]]:
    """Parse a "a | b | c" table, one row a line, keeping the indentation of the first cell."""
    return [
        [c.strip() if i else c.rstrip() for i, c in enumerate(line.split("|"))]
        for line in text.strip("\n").splitlines()
        if line.strip()
    ]


class Province(NamedTuple):
    """A provincial-level unit: demo code, name, city flag, CCCD code, size weight, region."""

    code: str
    name: str
    city: bool
    cccd: str
    weight: float
    region: str

    @property
    def police(self) -> str:
        """Return the police unit name, e.g. "Công an tỉnh Nghệ An"."""
        if self.name.startswith("Thành phố"):
            return f"Công an {self.name}"
        return f"Công an {'thành phố' if self.city else 'tỉnh'} {self.name}"


# The 34 provincial-level units since 1 July 2025 (CCCD code of the retained name). Hà Nội,
# Cần Thơ and Nghệ An (named in the seed article) weigh more than their peers.
PROVINCES: tuple[Province, ...] = tuple(
    Province(code, name, kind == "city", cccd, float(weight), region)
    for code, name, kind, cccd, weight, region in _rows("""
HN  | Hà Nội                | city | 001 | 4.0 | north
HUE | Huế                   | city | 046 | 1.2 | central
HP  | Hải Phòng             | city | 031 | 1.5 | north
DNG | Đà Nẵng               | city | 048 | 1.4 | central
HCM | Thành phố Hồ Chí Minh | city | 079 | 3.2 | south
CT  | Cần Thơ               | city | 092 | 2.0 | mekong
LCH | Lai Châu    | tỉnh | 012 | 0.7 | mountain
DB  | Điện Biên   | tỉnh | 011 | 0.7 | mountain
SL  | Sơn La      | tỉnh | 014 | 0.9 | mountain
LS  | Lạng Sơn    | tỉnh | 020 | 0.8 | mountain
QN  | Quảng Ninh  | tỉnh | 022 | 1.0 | north
TH  | Thanh Hóa   | tỉnh | 038 | 1.3 | central
NA  | Nghệ An     | tỉnh | 040 | 2.2 | central
HT  | Hà Tĩnh     | tỉnh | 042 | 0.9 | central
CB  | Cao Bằng    | tỉnh | 004 | 0.7 | mountain
TQ  | Tuyên Quang | tỉnh | 008 | 0.9 | mountain
LCI | Lào Cai     | tỉnh | 010 | 0.9 | mountain
TN  | Thái Nguyên | tỉnh | 019 | 1.0 | north
PT  | Phú Thọ     | tỉnh | 025 | 1.2 | north
BN  | Bắc Ninh    | tỉnh | 027 | 1.1 | north
HY  | Hưng Yên    | tỉnh | 033 | 1.1 | north
NB  | Ninh Bình   | tỉnh | 037 | 1.1 | north
QT  | Quảng Trị   | tỉnh | 045 | 0.9 | central
QNG | Quảng Ngãi  | tỉnh | 051 | 1.0 | highland
GL  | Gia Lai     | tỉnh | 064 | 1.1 | highland
KH  | Khánh Hòa   | tỉnh | 056 | 1.0 | central
LD  | Lâm Đồng    | tỉnh | 068 | 1.2 | highland
DLK | Đắk Lắk     | tỉnh | 066 | 1.1 | highland
DNI | Đồng Nai    | tỉnh | 075 | 1.2 | south
TNI | Tây Ninh    | tỉnh | 072 | 1.0 | south
VL  | Vĩnh Long   | tỉnh | 086 | 1.0 | mekong
DT  | Đồng Tháp   | tỉnh | 087 | 1.0 | mekong
CM  | Cà Mau      | tỉnh | 096 | 0.9 | mekong
AG  | An Giang    | tỉnh | 089 | 1.1 | mekong
""")
)
HANOI = PROVINCES[0]


class SubUnit(NamedTuple):
    """A department, faculty, regiment or camp of a ministry unit; style names its cells."""

    code: str
    name: str
    style: str


class MinistryUnit(NamedTuple):
    """A ministry unit whose Party organisation sits directly under the root."""

    code: str
    name: str
    weight: float
    min_cells: int
    leaders: bool  # has a leadership cell with general officers (the academies)
    subunits: tuple[SubUnit, ...]


def _ministry(text: str) -> tuple[MinistryUnit, ...]:
    """Parse unit rows, each followed by indented "style | CODE Name; CODE Name" rows."""
    heads: list[list[str]] = []
    subs: list[list[SubUnit]] = []
    for row in _rows(text):
        if not row[0].startswith(" "):
            heads.append(row)
            subs.append([])
            continue
        for item in _items(row[1], sep=";"):
            code, name = item.split(" ", 1)
            subs[-1].append(SubUnit(code, name, row[0].strip()))
    return tuple(
        MinistryUnit(code, name, float(weight), int(cells), lead == "leaders", tuple(sub))
        for (code, name, weight, cells, lead), sub in zip(heads, subs, strict=True)
    )


MINISTRY_UNITS = _ministry("""
VPB | Văn phòng Bộ Công an | 0.5 | 2 | -
  doi | P01 Phòng Tổng hợp; P02 Phòng Thư ký; P03 Phòng Hành chính; P04 Phòng Lễ tân
  doi | P05 Phòng Tài chính; P06 Phòng Truyền thông
CTD | Cục Công tác Đảng và Công tác chính trị | 0.5 | 2 | -
  doi | P01 Phòng Tổng hợp; P02 Phòng Tổ chức cơ sở đảng; P03 Phòng Tuyên huấn
  doi | P04 Phòng Chính sách; P05 Phòng Công tác quần chúng
  doi | P06 Văn phòng Đảng ủy Công an Trung ương
C10 | Cục Cảnh sát quản lý trại giam, cơ sở giáo dục bắt buộc, trường giáo dưỡng | 1.4 | 4 | -
  doi | P01 Cơ quan Cục
  phantrai | TG01 Trại giam Nam Hà; TG02 Trại giam Thanh Xuân; TG03 Trại giam Ba Sao
  phantrai | TG04 Trại giam Tân Lập; TG05 Trại giam Xuân Lộc; TG06 Trại giam Thủ Đức
  phantrai | TG07 Trại giam Xuân Hà
  doi | GD01 Trường Giáo dưỡng số 2; GD02 Cơ sở giáo dục bắt buộc Thanh Phong
HVCT | Học viện Chính trị Công an nhân dân | 0.9 | 4 | leaders
  office | VP Văn phòng Học viện
  bomon | K01 Khoa Lý luận chính trị; K02 Khoa Xây dựng Đảng; K04 Khoa Tâm lý học
  bomon | K03 Khoa Công tác đảng, công tác chính trị
  lop | D01 Hệ Đào tạo đại học; D02 Hệ Bồi dưỡng
HVCS | Học viện Cảnh sát nhân dân | 1.3 | 4 | leaders
  office | VP Văn phòng Học viện
  bomon | K01 Khoa Cảnh sát hình sự; K02 Khoa Cảnh sát điều tra; K03 Khoa Cảnh sát kinh tế
  bomon | K04 Khoa Quản lý hành chính về trật tự xã hội; K05 Khoa Luật; K06 Khoa Ngoại ngữ
  lop | D01 Tiểu đoàn học viên 1; D02 Tiểu đoàn học viên 2; D03 Tiểu đoàn học viên 3
HVAN | Học viện An ninh nhân dân | 1.1 | 4 | leaders
  office | VP Văn phòng Học viện
  bomon | K01 Khoa Trinh sát an ninh; K02 Khoa Điều tra trinh sát; K03 Khoa An ninh mạng
  bomon | K04 Khoa Lý luận chính trị
  lop | D01 Tiểu đoàn học viên 1; D02 Tiểu đoàn học viên 2
K02 | Bộ Tư lệnh Cảnh sát cơ động | 1.6 | 4 | -
  doi | P01 Cơ quan Bộ Tư lệnh
  daidoi | TD01 Trung đoàn Cảnh sát đặc nhiệm; TD02 Trung đoàn Cảnh sát cơ động Tây Bắc
  daidoi | TD03 Trung đoàn Cảnh sát cơ động Tây Nguyên
  daidoi | TD04 Trung đoàn Cảnh sát cơ động Tây Nam Bộ
  daidoi | TD05 Trung đoàn Cảnh sát cơ động Đông Nam Bộ; TD06 Trung đoàn Kỵ binh
A05 | Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao | 0.6 | 2 | -
  doi | P01 Phòng Tham mưu; P02 Phòng An ninh mạng
  doi | P03 Phòng Phòng, chống tội phạm công nghệ cao; P04 Trung tâm An ninh mạng quốc gia
  doi | P05 Phòng Kỹ thuật nghiệp vụ
C02 | Cục Cảnh sát hình sự | 0.5 | 2 | -
  doi | P01 Phòng Tham mưu; P02 Phòng Trinh sát; P03 Phòng Chống tội phạm có tổ chức
  doi | P04 Phòng Truy nã; P05 Phòng Chống tội phạm xâm phạm sở hữu
K01 | Bộ Tư lệnh Cảnh vệ | 0.7 | 2 | -
  doi | P01 Phòng Tham mưu; P02 Phòng Bảo vệ; P03 Phòng Hậu cần
  daidoi | TD01 Trung đoàn Cảnh vệ
""")

# Provincial police departments (phòng); the first one holds the Hà Nội demo cell.
PROVINCE_DEPTS: tuple[tuple[str, str], ...] = tuple(
    (c, n)
    for c, n in _rows("""
PC02 | Phòng Cảnh sát hình sự
PA03 | Phòng An ninh chính trị nội bộ
PC08 | Phòng Cảnh sát giao thông
PV01 | Phòng Tham mưu
PX01 | Phòng Tổ chức cán bộ
PX03 | Phòng Công tác đảng và công tác chính trị
PA01 | Phòng An ninh đối ngoại
PA04 | Phòng An ninh kinh tế
PA05 | Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao
PA08 | Phòng Quản lý xuất nhập cảnh
PA09 | Phòng An ninh điều tra
PC01 | Phòng Cảnh sát điều tra tội phạm về trật tự xã hội
PC03 | Phòng Cảnh sát kinh tế
PC04 | Phòng Cảnh sát điều tra tội phạm về ma túy
PC06 | Phòng Cảnh sát quản lý hành chính về trật tự xã hội
PC07 | Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ
PC09 | Phòng Kỹ thuật hình sự
PC10 | Phòng Cảnh sát quản lý tạm giữ, tạm giam và thi hành án hình sự
PK02 | Phòng Cảnh sát cơ động
PH10 | Phòng Hồ sơ
PH41 | Phòng Hậu cần
TTG  | Trại tạm giam
""")
)
COMMUNE_CELLS = ("Tổng hợp", "Cảnh sát khu vực", "An ninh", "Cảnh sát trật tự")
OFFICE_CELLS = _items(
    "Ban Giám đốc, Phòng Tham mưu, Phòng Tổ chức cán bộ, Phòng Quản lý đào tạo, Phòng Hậu cần"
)


def _communes(wards: str, communes: str) -> tuple[tuple[str, str], ...]:
    return tuple(("phường", n) for n in _items(wards)) + tuple(("xã", n) for n in _items(communes))


# Communes and wards (two-level addresses): real post-2025 names for the three provinces of
# the seed article, and a generic pool, not placed by real geography, for the others.
SPECIAL_COMMUNES: dict[str, tuple[tuple[str, str], ...]] = {
    "HN": _communes(
        """Hoàn Kiếm, Cửa Nam, Ba Đình, Ngọc Hà, Giảng Võ, Hai Bà Trưng, Vĩnh Tuy, Bạch Mai,
        Đống Đa, Kim Liên, Văn Miếu - Quốc Tử Giám, Láng, Ô Chợ Dừa, Hồng Hà, Lĩnh Nam,
        Hoàng Mai, Vĩnh Hưng, Tương Mai, Định Công, Hoàng Liệt, Yên Sở, Thanh Xuân,
        Khương Đình, Phương Liệt, Cầu Giấy, Nghĩa Đô, Yên Hòa, Tây Hồ, Phú Thượng, Tây Tựu,
        Phú Diễn, Xuân Đỉnh, Đông Ngạc, Thượng Cát, Từ Liêm, Xuân Phương, Tây Mỗ, Đại Mỗ,
        Long Biên, Bồ Đề, Việt Hưng, Phúc Lợi, Hà Đông, Dương Nội, Yên Nghĩa, Phú Lương,
        Kiến Hưng, Thanh Liệt, Chương Mỹ, Sơn Tây, Tùng Thiện""",
        """Sóc Sơn, Đa Phúc, Nội Bài, Đông Anh, Thư Lâm, Phúc Thịnh, Gia Lâm, Thuận An,
        Bát Tràng, Thanh Trì, Đại Thanh, Ngọc Hồi, Thường Tín, Phú Xuyên, Ứng Hòa, Mỹ Đức,
        Hương Sơn, Ba Vì, Minh Châu, Quảng Oai, Phúc Thọ, Đan Phượng, Hoài Đức, Quốc Oai,
        Thạch Thất, Mê Linh, Yên Lãng, Tiến Thắng""",
    ),
    "CT": _communes(
        """Ninh Kiều, Cái Khế, Tân An, An Bình, Thới An Đông, Bình Thủy, Long Tuyền, Cái Răng,
        Hưng Phú, Ô Môn, Phước Thới, Thới Long, Trung Nhứt, Thuận Hưng, Thốt Nốt, Vị Thanh,
        Vị Tân, Ngã Bảy, Long Mỹ, Sóc Trăng, Phú Lợi, Mỹ Xuyên, Vĩnh Châu""",
        """Phong Điền, Nhơn Ái, Thới Lai, Cờ Đỏ, Vĩnh Thạnh, Thạnh An, Châu Thành, Phụng Hiệp,
        Long Phú, Kế Sách, Mỹ Tú, Trần Đề, Cù Lao Dung""",
    ),
    "NA": _communes(
        """Thành Vinh, Trường Vinh, Vinh Phú, Vinh Lộc, Vinh Hưng, Cửa Lò, Hoàng Mai, Tân Mai,
        Quỳnh Mai, Thái Hòa, Tây Hiếu""",
        """Diễn Châu, Quỳnh Lưu, Nghi Lộc, Đô Lương, Yên Thành, Nam Đàn, Kim Liên, Hưng Nguyên,
        Thanh Chương, Anh Sơn, Con Cuông, Tương Dương, Mường Xén, Quế Phong, Quỳ Châu,
        Quỳ Hợp, Nghĩa Đàn, Tân Kỳ""",
    ),
}
SPECIAL_ZONES: dict[str, tuple[str, ...]] = {
    row[0]: _items(row[1])
    for row in _rows("""
QN  | Vân Đồn, Cô Tô
HP  | Cát Hải, Bạch Long Vĩ
QT  | Cồn Cỏ
QNG | Lý Sơn
LD  | Phú Quý
HCM | Côn Đảo
AG  | Phú Quốc, Kiên Hải, Thổ Châu
""")
}
GENERIC_COMMUNES = _items("""
An Bình, An Hòa, An Khánh, An Lạc, An Phú, An Thạnh, An Thịnh, Bình An, Bình Hòa, Bình Minh,
Bình Phước, Bình Thạnh, Bình Thuận, Cẩm Bình, Cẩm Phong, Châu Thành, Đại Đồng, Đại Phong,
Đại Thắng, Đông Hòa, Đông Hưng, Đông Sơn, Đồng Tâm, Đồng Tiến, Đức Hòa, Đức Thắng, Hải An,
Hải Bình, Hải Hòa, Hải Thành, Hòa An, Hòa Bình, Hòa Hiệp, Hòa Lợi, Hòa Phú, Hòa Thành,
Hồng Phong, Hồng Thái, Hưng Đạo, Hưng Lợi, Hưng Thịnh, Hương Sơn, Khánh Hòa, Kim Sơn,
Lạc Hồng, Long Bình, Long Hòa, Long Hưng, Long Phú, Long Thạnh, Minh Đức, Minh Khai, Minh Tân,
Mỹ An, Mỹ Hòa, Mỹ Lộc, Mỹ Thạnh, Nam Hồng, Nam Sơn, Nghĩa Hưng, Ngọc Lâm, Nhân Hòa, Phong Phú,
Phú An, Phú Bình, Phú Hòa, Phú Lợi, Phú Lộc, Phú Mỹ, Phú Thịnh, Phú Thọ, Phúc Thành, Phước Hòa,
Phước Long, Quang Trung, Quảng Phú, Quyết Thắng, Sơn Hà, Sơn Thủy, Tam Hiệp, Tam Phước, Tân An,
Tân Bình, Tân Hiệp, Tân Hòa, Tân Hưng, Tân Lập, Tân Long, Tân Mỹ, Tân Phong, Tân Phú,
Tân Thành, Tân Thạnh, Tân Tiến, Thái Hòa, Thanh Bình, Thanh Hà, Thanh Lâm, Thanh Sơn,
Thắng Lợi, Thành Công, Thịnh Long, Thống Nhất, Thuận Hòa, Thủy An, Tiên Phong, Tiến Thành,
Toàn Thắng, Trung Hòa, Trung Sơn, Trường Xuân, Vạn Phúc, Văn Lang, Việt Hòa, Vĩnh An, Vĩnh Hòa,
Vĩnh Lộc, Vĩnh Phú, Vĩnh Thạnh, Vĩnh Thịnh, Xuân An, Xuân Hòa, Xuân Lộc, Xuân Phú, Xuân Sơn,
Xuân Thành, Yên Bình, Yên Lạc, Yên Thế, Bắc Sơn, Bạch Đằng, Đoàn Kết, Độc Lập, Hoàng Hoa Thám,
Hùng Vương, Lê Lợi, Lê Hồng Phong, Nguyễn Trãi, Trần Hưng Đạo, Trần Phú, Lý Thường Kiệt,
Ngô Quyền, Phan Bội Châu, Chiến Thắng, Hòa Xuân, Hòa Khánh, Hòa Cường, Sông Cầu, Sông Đà,
Đông Thành, Tây Sơn, Nam Thành, Bắc Hà, Hưng Long, Phú Xuân, Thạch Hà, Cẩm Thủy, Tĩnh Gia,
Nga Sơn, Quảng Xương, Hoằng Hóa, Kỳ Anh, Cẩm Xuyên, Đức Thọ, Hương Khê, Vĩnh Linh, Gio Linh,
Cam Lộ, Hải Lăng, Triệu Phong, Sơn Tịnh, Tư Nghĩa, Mộ Đức, Đức Phổ, Ninh Hòa, Vạn Ninh,
Cam Lâm, Diên Khánh, Bảo Lộc, Di Linh, Đức Trọng, Lâm Hà, Tân Uyên, Dĩ An, Thủ Dầu Một,
Bến Cát, Long Thành, Nhơn Trạch, Trảng Bom, Gò Dầu, Trảng Bàng, Bến Cầu, Sa Đéc, Cao Lãnh,
Hồng Ngự, Tháp Mười, Mỏ Cày, Giồng Trôm, Ba Tri, Trà Ôn, Cầu Kè, Năm Căn, Đầm Dơi, Cái Nước,
U Minh, Châu Đốc, Tịnh Biên, Tri Tôn, Mường Thanh, Tam Đường, Bát Xát, Mộc Châu, Thuận Châu,
Quảng Uyên, Na Hang, Chiêm Hóa, Ea Kar, Krông Búk, Chư Sê, Ia Grai, Đắk Mil, Buôn Đôn, Kon Plông
""")
STREETS = _items("""Lê Lợi, Trần Phú, Nguyễn Trãi, Hùng Vương, Lý Thường Kiệt, Hai Bà Trưng,
Quang Trung, Nguyễn Huệ, Lê Duẩn, Điện Biên Phủ, Trần Hưng Đạo, Phan Chu Trinh, Nguyễn Du,
Lê Hồng Phong, Ngô Quyền, Bà Triệu, Võ Thị Sáu, Phạm Văn Đồng""")

# Names by the frequencies of cand-structure.md (Hoàng/Huỳnh and Vũ/Võ split their share).
FAMILY_NAMES = _weighted("""
Nguyễn 38, Trần 11, Lê 9.5, Phạm 7, Hoàng 3, Huỳnh 2, Phan 4.5, Vũ 2.2, Võ 1.7, Đặng 2.1, Bùi 2,
Đỗ 1.4, Hồ 1.3, Ngô 1.3, Dương 1, Lý 0.5, Đinh 0.6, Trịnh 0.5, Đào 0.5, Lương 0.4, Mai 0.4,
Cao 0.4, Hà 0.4, Lưu 0.3, Lâm 0.3, Tạ 0.2, Tô 0.2, Chu 0.2, Thái 0.2, Kiều 0.1, Quách 0.1
""")
MIDDLE_MALE = _weighted("""Văn 40, Hữu 7, Đức 9, Minh 9, Quang 7, Thanh 5, Ngọc 3, Xuân 4,
Công 5, Đình 5, Tiến 3, Mạnh 2, Quốc 4, Trung 2, Anh 2, Thị 0.2""")
MIDDLE_FEMALE = _weighted("""Thị 55, Ngọc 7, Thu 7, Thanh 6, Minh 4, Phương 4, Hồng 4, Thùy 4,
Kim 3, Bích 2, Diệu 2, Văn 0.3""")
GIVEN_MALE = _items("""Hùng, Tuấn, Dũng, Hải, Nam, Minh, Long, Cường, Thắng, Hưng, Sơn, Trung,
Quân, Đức, Bình, Phong, Hoàng, Thành, Huy, Khánh, Việt, Tùng, Hiếu, Lâm, Phúc, Tài, Toàn, Vinh,
Kiên, Đạt, Lợi, Quang, Tú, Thịnh, Hậu, Nghĩa, Tâm, Hòa, Chiến, Trường, Duy, Khoa, Lực, Tiến""")
GIVEN_FEMALE = _items("""Hà, Lan, Hương, Hoa, Mai, Linh, Trang, Thảo, Hằng, Ngọc, Nga, Yến,
Phương, Thủy, Huyền, Dung, Anh, Nhung, Hạnh, Loan, Vân, Oanh, Tuyết, Thúy, Hiền, Quỳnh, Giang,
Nhàn, Chi, Vy, Liên, Tâm, Thoa""")

# Ethnic groups by region and minority family names (Ê Đê names put the family name last).
ETHNIC_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "north": _weighted("Kinh 95, Tày 1.5, Mường 1.5, Nùng 1, Hoa 0.5, Sán Dìu 0.5"),
    "central": _weighted("Kinh 97, Thái 1, Mường 1, Bru - Vân Kiều 0.5, Hoa 0.5"),
    "mountain": _weighted("Kinh 55, Tày 12, Thái 12, Nùng 7, H'Mông 7, Dao 4, Mường 3"),
    "highland": _weighted("Kinh 78, Gia Rai 8, Ê Đê 7, Ba Na 4, Xơ Đăng 2, Tày 1"),
    "south": _weighted("Kinh 94, Hoa 3, Khmer 2, Chăm 0.5, Xtiêng 0.5"),
    "mekong": _weighted("Kinh 88, Khmer 9, Hoa 3"),
}
ETHNIC_FAMILIES: dict[str, tuple[str, ...]] = {
    "Tày": _items("Nông, Hoàng, Lục, Hà, Triệu, Đàm, Ma"),
    "Nùng": _items("Nông, Hoàng, Lý, Vi, Lương, Chu"),
    "Thái": _items("Lò, Cầm, Lường, Quàng, Vi, Hà"),
    "H'Mông": _items("Giàng, Vàng, Sùng, Thào, Lý, Hầu, Mùa"),
    "Dao": _items("Triệu, Bàn, Đặng, Lý, Chảo"),
    "Mường": _items("Bùi, Đinh, Quách, Hà, Xa"),
    "Khmer": _items("Thạch, Danh, Sơn, Kim, Lâm, Chau"),
    "Hoa": _items("Lý, Trương, Quách, Lưu, Tăng, Trần"),
    "Gia Rai": _items("Ksor, Siu, Rahlan, Nay, Kpă, Puih"),
    "Ê Đê": _items("Niê, Mlô, Êban, Byă, Ktla, Adrơng"),
    "Ba Na": _items("Đinh, Hoàng"),
}
RELIGIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "default": _weighted("Không 90, Phật giáo 6, Công giáo 3.5, Tin lành 0.5"),
    "south": _weighted("Không 86, Phật giáo 7, Công giáo 4, Cao Đài 2, Hòa Hảo 1"),
    "Khmer": _weighted("Phật giáo 85, Không 15"),
    "Hoa": _weighted("Không 60, Phật giáo 40"),
    "highland_minority": _weighted("Không 55, Tin lành 30, Công giáo 15"),
}

# Rewards: title | issuer | decision-ref suffix after the number | weight | min. service years.
# "{unit}" is the province or ministry unit, "{head}" the title of its head.
REWARDS: tuple[tuple[str, str, str, float, int], ...] = tuple(
    (title, issuer, suffix, float(weight), int(years))
    for title, issuer, suffix, weight, years in _rows("""
Giấy khen                              | {head}               | /QĐ-{abbr} | 40 | 0
Chiến sĩ tiên tiến                     | {head}               | /QĐ-{abbr} | 25 | 0
Chiến sĩ thi đua cơ sở                 | {head}               | /QĐ-{abbr} | 15 | 1
Bằng khen của Bộ trưởng Bộ Công an     | Bộ trưởng Bộ Công an | /QĐ-BCA    | 10 | 3
Đảng viên hoàn thành xuất sắc nhiệm vụ | Đảng ủy {unit}       | -QĐ/ĐU     | 7  | 1
Huy chương Chiến sĩ vẻ vang hạng Ba    | Chủ tịch nước        | /QĐ-CTN    | 2  | 15
Bằng khen của Thủ tướng Chính phủ      | Thủ tướng Chính phủ  | /QĐ-TTg    | 1  | 10
""")
)
DISCIPLINE_REASONS = _items(
    """Vi phạm quy định về những điều đảng viên không được làm
    Thiếu trách nhiệm trong thực hiện nhiệm vụ được giao
    Vi phạm Điều lệnh Công an nhân dân
    Vi phạm nguyên tắc tập trung dân chủ
    Vi phạm quy định về kê khai tài sản, thu nhập
    Vi phạm quy định về phát ngôn, sử dụng mạng xã hội""",
    sep="\n",
)


# ------------------------------------------------------------------------------------------
# The planned organisation tree
# ------------------------------------------------------------------------------------------

# style | member kind | cell head | cell deputy | head of a one-cell unit | its deputy
_STYLES: dict[str, tuple[str, ...]] = {
    row[0]: tuple(row[1:])
    for row in _rows("""
doi | dept | Đội trưởng | Phó Đội trưởng | Trưởng phòng | Phó Trưởng phòng
bomon | faculty | Trưởng Bộ môn | Phó Trưởng Bộ môn | Trưởng khoa | Phó Trưởng khoa
lop | student | Cán bộ quản lý học viên | | Cán bộ quản lý học viên |
daidoi | regiment | Chính trị viên đại đội | Đại đội trưởng | Chính ủy | Trung đoàn trưởng
phantrai | prison | Phân trại trưởng | Phó Phân trại trưởng | Giám thị | Phó Giám thị
office | office | Trưởng phòng | Phó Trưởng phòng | Chánh Văn phòng | Phó Chánh Văn phòng
commune | commune | Phó Trưởng {ca} | Cảnh sát khu vực | Trưởng {ca} | Phó Trưởng {ca}
""")
}
CELL, GRASSROOTS_CELL, GRASSROOTS_BRANCH = (
    OrgType.CELL,
    OrgType.GRASSROOTS_CELL,
    OrgType.GRASSROOTS_BRANCH,
)
_LEADERS = ("leaders", "Giám đốc Học viện", "Phó Giám đốc Học viện")
# Member-side tables: officer rank by years of service (upper bound; most careers stop at
# Trung tá or Thượng tá), education, theory.
OFFICER_LADDER = _weighted(
    "thieu_uy 2, trung_uy 5, thuong_uy 8, dai_uy 12, thieu_ta 16, trung_ta 20, thuong_ta 24"
)
EDUCATION_REGULAR = _weighted("dai_hoc 62, trung_cap 18, thac_si 12, cao_dang 6, tien_si 2")
EDUCATION_ACADEMIC = _weighted("thac_si 45, tien_si 30, dai_hoc 25")
THEORY_SENIOR = _weighted("cao_cap 65, cu_nhan 10, trung_cap 25")
THEORY_MIDDLE = _weighted("trung_cap 60, so_cap 35, cao_cap 5")


def _split(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Share `total` among len(weights) parts, each at least `minimum` (largest remainder)."""
    extra = total - minimum * len(weights)
    whole = sum(weights)
    raw = [extra * w / whole for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: out[i] - raw[i])
    for i in order[: extra - sum(out)]:
        out[i] += 1
    return [minimum + n for n in out]


@dataclass(slots=True)
class OrgSpec:
    """An organisation to insert, with its pre-assigned id and materialised path."""

    pk: int
    code: str
    name: str
    org_type: OrgType
    parent: OrgSpec | None
    path: str
    label: str  # unit name used in members' work_unit, e.g. "Đội 1"
    since: date
    approval_ref: str = ""


class Top(NamedTuple):
    """The province or ministry unit a cell belongs to (addresses, rewards, issuers)."""

    org: OrgSpec
    province: Province
    head: str
    abbr: str


@dataclass(slots=True)
class CellSpec:
    """A cell that holds members: kind drives ages, ranks and posts of its members."""

    org: OrgSpec
    kind: str
    head: str
    deputy: str
    top: Top
    work_unit: str
    size: int = 0
    force: str = ""  # "demo", "two_official" or "big" (realistic structure violations)


@dataclass
class TreePlan:
    """The planned organisation tree: every organisation and the cells holding members."""

    orgs: list[OrgSpec]
    cells: list[CellSpec]


def _cell_label(style: str, i: int) -> str:
    if style == "lop":
        return f"Lớp D{50 + (i - 1) % 4}-{(i - 1) // 4 + 1:02d}"
    names = {"office": OFFICE_CELLS, "commune": COMMUNE_CELLS}.get(style)
    if names is not None:
        extra = "Tổ" if style == "office" else "Cảnh sát khu vực"
        return names[i - 1] if i <= len(names) else f"{extra} {i - len(names) + 1}"
    template = {
        "doi": "Đội {i}",
        "bomon": "Bộ môn {i}",
        "daidoi": "Đại đội {i}",
        "phantrai": "Phân trại số {i}",
    }[style]
    return template.format(i=i)


class _TreeBuilder:
    """Build the CAND-shaped tree: root → ministry units and 34 provinces → grassroots → cells."""

    def __init__(self, rng: random.Random, first_id: int) -> None:
        self.rng = rng
        self.ids = itertools.count(first_id)
        self.orgs: list[OrgSpec] = []
        self.cells: list[CellSpec] = []

    def org(
        self, code: str, kind: OrgType, parent: OrgSpec | None, label: str, **kw: Any
    ) -> OrgSpec:
        """Add an organisation named after its unit ("Đảng bộ X", "Chi bộ Y")."""
        pk = next(self.ids)
        path = (parent.path if parent else "") + path_segment(pk)
        name = kw.get("name") or f"{'Chi bộ' if is_cell(kind) else 'Đảng bộ'} {label}"
        since = kw.get("since") or (parent.since if parent else ROOT_SINCE)
        spec = OrgSpec(pk, code, name, kind, parent, path, label, since)
        self.orgs.append(spec)
        return spec

    def cell(
        self, parent: OrgSpec, code: str, label: str, kind: OrgType, role: Sequence[str], top: Top
    ) -> None:
        """Add a cell; role is (member kind, head's title, deputy's title)."""
        org = self.org(code, kind, parent, label)
        labels, node = [], org
        while node is not None and node.parent is not None:
            labels.append(node.label)
            node = node.parent
        self.cells.append(CellSpec(org, role[0], role[1], role[2], top, ", ".join(labels)))

    def unit(
        self,
        parent: OrgSpec,
        code: str,
        label: str,
        n: int,
        style: str,
        top: Top,
        leaders: bool = False,
        prefix: str = "C",
        word: str = "",
    ) -> None:
        """Add a grassroots unit: a grassroots cell if n == 1, else a branch with n cells.

        `word` is the commune kind ("xã", "phường", "đặc khu") used in commune police titles.
        """
        kind, head, deputy, unit_head, unit_deputy = (
            t.format(ca=f"Công an {word}") for t in _STYLES[style]
        )
        if n == 1:
            self.cell(parent, code, label, GRASSROOTS_CELL, (kind, unit_head, unit_deputy), top)
            return
        branch = self.org(code, GRASSROOTS_BRANCH, parent, label)
        for i in range(1, n + 1):
            role = _LEADERS if leaders and i == 1 else (kind, head, deputy)
            self.cell(branch, f"{code}-{prefix}{i:02d}", _cell_label(style, i), CELL, role, top)

    def ministry(self, root: OrgSpec, mu: MinistryUnit, k: int) -> None:
        """Add a ministry unit: a grassroots branch if small, else above-grassroots."""
        rng = self.rng
        title = {"Học": "Giám đốc", "Cục": "Cục trưởng", "Bộ": "Tư lệnh"}.get(mu.name[:3].strip())
        kind = GRASSROOTS_BRANCH if k <= 3 else OrgType.ABOVE_GRASSROOTS
        org = self.org(mu.code, kind, root, mu.name, since=MINISTRY_SINCE)
        top = Top(org, HANOI, f"{title or 'Chánh'} {mu.name}", mu.code)
        if k <= 3:
            for sub in mu.subunits[:k]:
                member_kind, _, _, head, deputy = _STYLES[sub.style]
                role = (member_kind, head, deputy)
                self.cell(org, f"{mu.code}-{sub.code}", sub.name, CELL, role, top)
            return
        groups = min(len(mu.subunits), max(2, k // 3))
        weights = [rng.uniform(0.6, 1.4) for _ in range(groups)]
        sizes = _split(k, weights, 2 if k >= 2 * groups else 1)
        for i, (sub, n) in enumerate(zip(mu.subunits, sizes, strict=False)):
            code = f"{mu.code}-{sub.code}"
            self.unit(org, code, sub.name, n, sub.style, top, leaders=mu.leaders and i == 0)

    def communes(self, prov: Province) -> list[tuple[str, str]]:
        """Return the province's (kind, name) commune pool in a seeded order."""
        rng = self.rng
        special = list(SPECIAL_COMMUNES.get(prov.code, ()))
        rng.shuffle(special)
        zones = [("đặc khu", z) for z in SPECIAL_ZONES.get(prov.code, ())]
        seen = {name for _, name in special + zones}
        generic = [n for n in GENERIC_COMMUNES if n not in seen]
        rng.shuffle(generic)
        p_ward = 0.55 if prov.city else 0.25
        pool = special[:1] + zones + special[1:]
        return pool + [("phường" if rng.random() < p_ward else "xã", n) for n in generic]

    def province(self, root: OrgSpec, prov: Province, k: int) -> None:
        """Add a provincial police Party organisation: departments, then communes and wards."""
        rng = self.rng
        org = self.org(prov.code, OrgType.PROVINCIAL, root, prov.police, since=PROVINCE_SINCE)
        top = Top(org, prov, f"Giám đốc {prov.police}", "CATP" if prov.city else "CAT")
        k_dept = max(2, round(k * 0.45))
        depts = list(PROVINCE_DEPTS)
        if prov is not HANOI:  # Hà Nội keeps PC02 first: it holds the demo cell
            rng.shuffle(depts)
        groups = min(len(depts), max(1, k_dept // 3))
        sizes = _split(k_dept, [rng.uniform(0.6, 1.4) for _ in range(groups)], 2)
        for (code, name), n in zip(depts, sizes, strict=False):
            self.unit(org, f"{prov.code}-{code}", name, n, "doi", top, prefix="D")
        k_comm = max(1, k - k_dept)
        pool = self.communes(prov)
        pool = pool[: min(len(pool), max(1, round(k_comm / 1.3)))]
        sizes = _split(k_comm, [{"phường": 3.0, "xã": 0.4}.get(w, 0.6) for w, _ in pool], 1)
        for i, ((word, name), n) in enumerate(zip(pool, sizes, strict=True), 1):
            label = f"Công an {word} {name}"
            self.unit(org, f"{prov.code}-X{i:04d}", label, n, "commune", top, word=word)

    def build(self, members: int) -> TreePlan:
        root = self.org(ROOT_CODE, OrgType.CENTRAL, None, "", name="Đảng bộ Công an Trung ương")
        big = {"HN", "CT", "NA"}
        units: list[tuple[float, int, MinistryUnit | Province]] = [
            (mu.weight, mu.min_cells, mu) for mu in MINISTRY_UNITS
        ] + [(p.weight, 6 if p.code in big else 4, p) for p in PROVINCES]
        cells = math.ceil(members / MEMBERS_PER_CELL)
        whole = sum(w for w, _, _ in units)
        for weight, minimum, unit in units:
            k = max(minimum, round(cells * weight / whole))
            if isinstance(unit, Province):
                self.province(root, unit, k)
            else:
                self.ministry(root, unit, k)
        self.size_cells(members)
        return TreePlan(self.orgs, self.cells)

    def size_cells(self, members: int) -> None:
        """Give every cell a member count; keep a few realistic structure violations."""
        rng = self.rng
        by_code = {c.org.code: c for c in self.cells}
        by_code[DEMO_CELL_CODE].size, by_code[DEMO_CELL_CODE].force = DEMO_CELL_SIZE, "demo"

        def pick(prefix: str, org_type: OrgType) -> CellSpec | None:
            found = [
                c
                for c in self.cells
                if c.org.code.startswith(prefix) and not c.force and c.org.org_type == org_type
            ]
            return rng.choice(found) if found else None

        if members >= 1000:  # cells with only two official members
            for prefix, org_type in (("HN-X", OrgType.GRASSROOTS_CELL), ("CT-P", OrgType.CELL)):
                if (c := pick(prefix, org_type)) is not None:
                    c.size, c.force = 2, "two_official"
        if members >= 2000:  # grassroots cells of 30+ members (Hà Nội's has the approval)
            for prefix in ("HN-X", "CT-X", "NA-X"):
                if (c := pick(prefix, OrgType.GRASSROOTS_CELL)) is not None:
                    c.size, c.force = rng.randint(31, 34), "big"
                    if prefix == "HN-X":
                        c.org.approval_ref = self.approval(c.org)
        free = [c for c in self.cells if not c.force]
        factor = {"student": 1.3, "leaders": 0.4}
        weights = [
            factor.get(c.kind, 0.9 if c.org.org_type == OrgType.GRASSROOTS_CELL else 1.0)
            * min(1.6, max(0.45, rng.gauss(1.0, 0.3)))
            for c in free
        ]
        rest = members - sum(c.size for c in self.cells if c.force)
        for c, n in zip(free, _split(rest, weights, 0), strict=True):
            c.size = n
        totals: dict[int, int] = {}
        for c in self.cells:
            if c.org.parent is not None:
                totals[c.org.parent.pk] = totals.get(c.org.parent.pk, 0) + c.size
        for o in self.orgs:  # small grassroots branches carry the superior's written consent
            if o.org_type == OrgType.GRASSROOTS_BRANCH and totals.get(o.pk, 0) < 32:
                o.approval_ref = self.approval(o)

    def approval(self, org: OrgSpec) -> str:
        superior = org.parent.label if org.parent and org.parent.parent else "Công an Trung ương"
        when = org.since + timedelta(days=self.rng.randint(5, 60))
        return (
            f"Văn bản số {self.rng.randint(100, 999)}-CV/ĐU ngày {format_date(when)} "
            f"của Đảng ủy {superior}"
        )


def plan_tree(members: int, seed: int, first_id: int = 1) -> TreePlan:
    """Plan the organisation tree for `members` members (pure, deterministic)."""
    return _TreeBuilder(random.Random(f"cosodang-demo-tree:{seed}"), first_id).build(members)

"""The share link as a QR code (``qr.py``): an inline SVG that any page may embed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import segno

from directus_shares.qr import QUIET_ZONE, qr_code_svg

URL = "https://example.com/share/abcdef/"
SVG = ""  # inline in HTML: no XML namespace


def test_the_code_is_an_svg_element_sized_for_its_modules_and_margin():
    svg = ET.fromstring(qr_code_svg(URL, scale=3))
    modules = segno.make(URL, error="m", micro=False).symbol_size(scale=1, border=QUIET_ZONE)
    assert svg.tag == f"{SVG}svg"
    assert (int(svg.get("width")), int(svg.get("height"))) == (modules[0] * 3, modules[1] * 3)
    assert svg.get("role") == "img" and svg.get("class") == "ds-qr-code"
    assert svg.get("viewBox")  # CSS may resize it


def test_it_draws_dark_modules_on_white_whatever_the_page():
    svg = str(qr_code_svg(URL))
    assert not svg.startswith("<?xml")
    assert 'fill="#fff"' in svg and 'stroke="#000"' in svg


def test_the_title_names_the_image_and_is_escaped():
    assert ET.fromstring(qr_code_svg(URL)).find(f"{SVG}title").text == "QR code of the share link"
    svg = qr_code_svg(URL, title='<script>alert("x")</script>')
    assert "<script>" not in svg
    assert ET.fromstring(svg).find(f"{SVG}title").text == '<script>alert("x")</script>'


def test_the_url_is_only_drawn_never_written_out():
    assert "example.com" not in qr_code_svg(URL)

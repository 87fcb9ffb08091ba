"""Issue 20 item 5: the email draft — errors first, then only the warnings that ask for action
(counted per project); the local time zone in Date; attachment names that Python's parser and
an independent MIME parser (ripmime, Debian) both read, in the RFC 2047 and RFC 2231 forms."""

from __future__ import annotations

import dataclasses
import datetime
import email
import re
import shutil
import subprocess
import time
from email import policy

import pytest

from perfxl.email_draft import build_message, summary_text
from perfxl.findings import Finding, Severity
from perfxl.model import sheet_of
from perfxl.pipeline import check

LONG = "2023年度_绿化市容行政服务工作经费与一个很长的项目名称（第二期）_绩效自评表.xlsx"


def _checked(pf, findings=()):
    """``pf`` scored, with exactly ``findings`` (in the pipeline's order) instead of its checks'."""
    return dataclasses.replace(check(pf, [], "json"), findings=()).with_findings(*findings)


def _findings(pf):
    hot, green = (sheet_of(p) for p in pf.projects[:2])
    out = [Finding("S208", Severity.WARNING, hot, f"H{13 + i}", "得分未填写") for i in range(28)]
    out += [Finding("S209", Severity.WARNING, green, c, "超额完成") for c in ("G20", "G9")]
    out += [Finding("D304", Severity.WARNING, hot, "G8", "执行率偏低")]
    out += [Finding("D301", Severity.ERROR, green, "H16", "得分低于分值")]
    return out


def test_body_errors_first_then_actionable_warnings_counted_per_project(self_evaluations):
    body = summary_text(_checked(self_evaluations, _findings(self_evaluations)))
    hot, green = (p.name for p in self_evaluations.projects[:2])
    error = body.index("注意：仍有 1 个错误未解决")
    warnings = body.index("需要处理的警告 3 条（按项目）")
    assert error < warnings
    assert f"{green}!H16: D301" in body[error:warnings]
    tail = body[warnings:]
    assert f"  {hot}：1 条\n    · D304 预算执行率偏低且未说明原因 1 条（G8）" in tail
    # cells in sheet order (G9 before G20), one line per rule
    assert f"  {green}：2 条\n    · S209 超额完成（指标值可能偏低） 2 条（G9、G20）" in tail
    assert "S208" not in body.replace("另有 28 条 S208 警告无需处理", "")
    assert "另有 28 条 S208 警告无需处理（得分未填写：合计已使用建议得分）" in body
    assert "尚待说明的警告" not in body


def test_body_without_warnings_that_ask_for_action(self_evaluations):
    only = [f for f in _findings(self_evaluations) if f.code == "S208"]
    body = summary_text(_checked(self_evaluations, only))
    assert "没有需要处理的警告" in body and "错误" not in body


def test_date_in_the_local_time_zone(self_evaluations, monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    try:
        for tz, hours in (("Asia/Shanghai", 8), ("UTC", 0)):
            monkeypatch.setenv("TZ", tz)  # set after start-up: the draft must still follow it
            msg = email.message_from_bytes(build_message(_checked(self_evaluations), []).as_bytes(),
                                           policy=policy.default)
            assert msg["Date"].datetime.utcoffset() == datetime.timedelta(hours=hours), msg["Date"]
    finally:
        monkeypatch.undo()
        time.tzset()


def _raw(self_evaluations, tmp_path) -> str:
    xlsx = tmp_path / LONG
    xlsx.write_bytes(b"PK\x03\x04 workbook")
    pdf = tmp_path / "plain.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    return build_message(_checked(self_evaluations), [xlsx, pdf]).as_bytes().decode("ascii")


def _variants(raw: str) -> dict[str, str]:
    """The draft as written, and with only one of the two forms of the names left."""
    only_2231 = re.sub(r';\r\n name="[^"]*"', "", raw)
    only_2047 = re.sub(r"Content-Disposition: attachment;(\r\n filename\*[^\r]*)+",
                       "Content-Disposition: attachment", raw)
    assert only_2231 != raw and only_2047 != raw
    assert 'name="=?' not in only_2231
    assert "filename*" not in only_2047
    return {"both": raw, "rfc2231": only_2231, "rfc2047": only_2047}


def test_attachment_names_in_both_forms(self_evaluations, tmp_path):
    raw = _raw(self_evaluations, tmp_path)
    assert 'name="=?utf-8?b?' in raw  # RFC 2047 encoded words (Content-Type)
    assert "filename*0*=utf-8''2023%E5%B9%B4%E5%BA%A6" in raw  # RFC 2231 (Content-Disposition)
    assert all(len(line) <= 78 or line.startswith("Content-Type: application/vnd.")
               for line in raw.split("\r\n"))


def test_python_email_parser_reads_each_form(self_evaluations, tmp_path):
    for form, text in _variants(_raw(self_evaluations, tmp_path)).items():
        msg = email.message_from_string(text, policy=policy.default)
        assert [p.get_filename() for p in msg.iter_attachments()] == [LONG, "plain.pdf"], form


@pytest.mark.skipif(shutil.which("ripmime") is None, reason="ripmime not installed (.ci/run installs it)")
def test_ripmime_reads_each_form(self_evaluations, tmp_path):
    (tmp_path / "in").mkdir()
    for form, text in _variants(_raw(self_evaluations, tmp_path / "in")).items():
        eml = tmp_path / f"{form}.eml"
        eml.write_text(text, encoding="ascii")
        out = tmp_path / form
        out.mkdir()
        subprocess.run(["ripmime", "-i", str(eml), "-d", str(out), "--no-nameless"],
                       check=True, capture_output=True)
        assert sorted(p.name for p in out.iterdir()) == sorted([LONG, "plain.pdf"]), form

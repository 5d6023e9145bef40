# frozen_string_literal: true

require_relative "test_helper"

class ContentDispositionTest < Minitest::Test
  CD = Seikyu::ContentDisposition

  def test_prefers_the_extended_utf8_filename
    header = %(attachment; filename="INV-2025-000001.pdf"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_INV-2025-000001.pdf)
    assert_equal({ "type" => "attachment", "filename" => "請求書_INV-2025-000001.pdf" }, CD.parse(header))
    assert_equal Encoding::UTF_8, CD.filename(header).encoding
  end

  def test_extended_filename_may_come_first_and_names_are_case_insensitive
    assert_equal "請求データ.csv", CD.filename(%(Attachment; FILENAME*=utf-8'ja'%E8%AB%8B%E6%B1%82%E3%83%87%E3%83%BC%E3%82%BF.csv; filename="x.csv"))
  end

  def test_iso_8859_1_extended_value
    assert_equal "naïve file.txt", CD.filename("attachment; filename*=iso-8859-1'en'na%EFve%20file.txt")
  end

  def test_plain_filename_quoted_with_escapes_and_semicolons
    assert_equal 'a "b"; c.pdf', CD.filename(%(attachment; filename="a \\"b\\"; c.pdf"))
    assert_equal "report.csv", CD.filename("attachment; filename=report.csv")
    assert_equal "report.csv", CD.filename("attachment;filename = report.csv ")
  end

  def test_unreadable_extended_value_falls_back_to_filename
    assert_equal "fallback.pdf", CD.filename(%(attachment; filename*=UTF-8''%FF%FE; filename="fallback.pdf"))
    assert_equal "fallback.pdf", CD.filename(%(attachment; filename*=no-such-charset''abc; filename="fallback.pdf"))
  end

  def test_directories_and_control_characters_are_removed
    assert_equal "passwd", CD.filename(%(attachment; filename="../../etc/passwd"))
    assert_equal "evil.pdf", CD.filename("attachment; filename*=UTF-8''..%2F..%5Cevil.pdf")
    assert_equal "ab.pdf", CD.filename("attachment; filename*=UTF-8''a%0D%0Ab.pdf")
    assert_nil CD.filename(%(attachment; filename=".."))
  end

  def test_no_header_or_no_filename
    assert_nil CD.parse(nil)
    assert_nil CD.parse("  ")
    assert_equal({ "type" => "inline", "filename" => nil }, CD.parse("inline"))
  end
end

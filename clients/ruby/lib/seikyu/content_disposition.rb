# frozen_string_literal: true

require "strscan"

module Seikyu
  # Content-Disposition (RFC 6266): the disposition type and the file name, preferring the
  # extended "filename*" (RFC 8187: charset'language'percent-encoded) over plain "filename".
  module ContentDisposition
    module_function

    # {"type" => "attachment", "filename" => "請求書_INV-2025-000001.pdf"} or nil for a missing header.
    def parse(header)
      return nil if header.nil? || header.to_s.strip.empty?

      text = header.to_s.dup.force_encoding(Encoding::UTF_8)
      text = header.to_s.dup.force_encoding(Encoding::ISO_8859_1).encode(Encoding::UTF_8) unless text.valid_encoding?
      scanner = StringScanner.new(text)
      type = scanner.scan(/[^;]*/).to_s.strip.downcase
      params = parameters(scanner)
      name = extended(params["filename*"]) || params["filename"]
      { "type" => type, "filename" => sanitize(name) }
    end

    # Just the file name, or nil.
    def filename(header)
      parse(header)&.fetch("filename")
    end

    def parameters(scanner)
      params = {}
      until scanner.eos?
        break unless scanner.skip(/\s*;\s*/)

        name = scanner.scan(/[^=;\s]+/)
        next scanner.skip(/[^;]*/) if name.nil?

        scanner.skip(/\s*/)
        next scanner.skip(/[^;]*/) unless scanner.skip(/=\s*/)

        value = scanner.peek(1) == '"' ? quoted(scanner) : scanner.scan(/[^;]*/).to_s.strip
        params[name.downcase] ||= value
      end
      params
    end

    def quoted(scanner)
      scanner.getch
      value = +""
      until scanner.eos?
        c = scanner.getch
        break if c == '"'

        c = scanner.getch.to_s if c == "\\"
        value << c
      end
      value
    end

    # charset'language'percent-encoded value, decoded to UTF-8; nil when unreadable.
    def extended(value)
      return nil if value.nil?

      charset, _language, encoded = value.split("'", 3)
      return nil if encoded.nil?

      bytes = encoded.b.gsub(/%([0-9A-Fa-f]{2})/n) { Regexp.last_match(1).hex.chr }
      decoded = bytes.force_encoding(Encoding.find(charset.strip))
      return nil unless decoded.valid_encoding?

      decoded.encode(Encoding::UTF_8)
    rescue ArgumentError, EncodingError
      nil
    end

    # The name without directories or control characters (RFC 6266 section 4.3), or nil.
    def sanitize(name)
      return nil if name.nil?

      base = name.split(%r{[/\\]}).last.to_s.gsub(/[[:cntrl:]]/, "").strip
      base.empty? || base == "." || base == ".." ? nil : base
    end
  end
end

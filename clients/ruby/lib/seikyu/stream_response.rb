# frozen_string_literal: true

require "digest"

module Seikyu
  # What a streamed download answered. Handed to +on_response+ before the first chunk (so a Rails
  # controller can set its own headers from it), and returned once the body is complete.
  class StreamResponse
    attr_reader :status, :headers, :content_type, :content_length, :etag, :filename, :disposition,
                :request_id, :bytes_received

    def initialize(status, headers)
      @status = status
      @headers = headers.freeze
      @content_type = headers["content-type"]
      length = headers["content-length"]
      @content_length = length && length.match?(/\A\d+\z/) ? length.to_i : nil
      @etag = headers["etag"]
      parsed = ContentDisposition.parse(headers["content-disposition"])
      @disposition = parsed && parsed["type"]
      @filename = parsed && parsed["filename"]
      @request_id = headers["x-amzn-requestid"]
      @bytes_received = 0
      @digest = Digest::SHA256.new
      @complete = false
    end

    # The ETag without quotes (for the invoice PDF: its SHA-256 in hex), or nil.
    def etag_value
      etag&.sub(%r{\AW/}, "")&.delete('"')
    end

    # SHA-256 (hex) of the bytes received so far.
    def sha256
      @digest.hexdigest
    end

    # True once the whole body has arrived.
    def complete?
      @complete
    end

    # The charset named in Content-Type (e.g. "Windows-31J" for a cp932 CSV), or nil.
    def charset
      content_type.to_s[/;\s*charset="?([^";\s]+)"?/i, 1]
    end

    # Ruby's Encoding for +charset+, or nil when absent or unknown.
    def encoding
      charset && Encoding.find(charset)
    rescue ArgumentError
      nil
    end

    # @api private
    def record(chunk)
      @bytes_received += chunk.bytesize
      @digest.update(chunk)
    end

    # @api private
    def finish!
      @complete = true
      self
    end

    def inspect
      "#<#{self.class.name} #{status} #{content_type} #{filename.inspect} #{bytes_received} bytes>"
    end
  end
end

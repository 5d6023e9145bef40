# frozen_string_literal: true

require_relative "test_helper"
require "digest"
require "stringio"
require "tempfile"

class StreamingTest < Minitest::Test
  PDF = ("%PDF-1.7\n" + ("x" * 5000) + "\n%%EOF\n").b
  SHA = Digest::SHA256.hexdigest(PDF)
  DISPOSITION = %(attachment; filename="INV-2025-000001.pdf"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_INV-2025-000001.pdf)

  def pdf_headers(etag: SHA)
    { "Content-Type" => "application/pdf", "ETag" => %("#{etag}"), "Content-Disposition" => DISPOSITION,
      "x-amzn-RequestId" => "req-pdf" }
  end

  # Chunked, as the gateway streams: ends properly, or is cut short after +cut+ bytes.
  def chunked(body, headers, cut: nil)
    lambda do |socket|
      head = +"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
      headers.each { |k, v| head << "#{k}: #{v}\r\n" }
      socket.write("#{head}\r\n")
      sent = 0
      body.bytes.each_slice(1024) do |slice|
        break if cut && sent >= cut

        socket.write(format("%x\r\n", slice.size) + slice.pack("C*") + "\r\n")
        sent += slice.size
      end
      socket.write("0\r\n\r\n") unless cut
      socket.close
    end
  end

  def test_streams_chunk_by_chunk_to_an_io_after_on_response
    server = stub_server { |_r, _i| chunked(PDF, pdf_headers) }
    events = []
    io = Class.new do
      define_method(:initialize) { |ev| @ev = ev }
      define_method(:write) { |chunk| @ev << [:chunk, chunk.bytesize] && chunk.bytesize }
    end.new(events)
    seen = nil
    result = stub_client(server).download_invoice_pdf("tn_1", "INV-2025-000001", io, on_response: lambda { |r|
      seen = r
      events << [:response, r.filename]
    })
    assert_same seen, result
    assert_equal [:response, "請求書_INV-2025-000001.pdf"], events.first
    assert_operator events.count { |e| e.first == :chunk }, :>, 1, "more than one chunk"
    assert_equal PDF.bytesize, events.select { |e| e.first == :chunk }.sum(&:last)
    assert_equal 200, result.status
    assert_equal "application/pdf", result.content_type
    assert_nil result.content_length
    assert_equal %("#{SHA}"), result.etag
    assert_equal SHA, result.etag_value
    assert_equal SHA, result.sha256
    assert_equal PDF.bytesize, result.bytes_received
    assert_equal "req-pdf", result.request_id
    assert_equal "attachment", result.disposition
    assert result.complete?
    req = server.requests.first
    assert_equal "/v1/tenants/tn_1/invoices/INV-2025-000001/pdf", req.path
    assert_equal "identity", req.headers["accept-encoding"]
  end

  def test_streams_to_a_block_and_to_a_tempfile
    server = stub_server { |_r, _i| chunked(PDF, pdf_headers) }
    client = stub_client(server)
    got = +""
    client.download_invoice_pdf("tn_1", "INV-2025-000001") { |chunk| got << chunk }
    assert_equal PDF, got
    Tempfile.create("pdf") do |f|
      client.download_invoice_pdf("tn_1", "INV-2025-000001", f)
      f.flush
      assert_equal SHA, Digest::SHA256.file(f.path).hexdigest
    end
  end

  def test_a_cut_short_stream_raises_and_is_not_repeated
    server = stub_server { |_r, _i| chunked(PDF, pdf_headers, cut: 2048) }
    io = StringIO.new
    e = assert_raises(Seikyu::IncompleteResponseError) do
      stub_client(server).download_invoice_pdf("tn_1", "INV-2025-000001", io)
    end
    assert_kind_of Seikyu::ConnectionError, e
    assert_equal 2048, e.bytes_received
    assert_equal 2048, io.string.bytesize
    assert_equal 1, server.requests.size, "bytes already went out: never retried into the same IO"
  end

  def test_a_short_body_with_a_content_length_raises
    server = stub_server do |_r, _i|
      lambda do |socket|
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: 10000\r\n\r\n" + ("z" * 3000))
        socket.close
      end
    end
    e = assert_raises(Seikyu::IncompleteResponseError) do
      stub_client(server).download_invoices_zip("tn_1", StringIO.new, period: "2025-04")
    end
    assert_equal 3000, e.bytes_received
    assert_equal 10_000, e.bytes_expected
  end

  def test_content_length_is_reported_when_sent
    server = stub_server { |_r, _i| StubServer.response(200, "a,b\r\n", { "Content-Type" => "text/csv; charset=Windows-31J" }) }
    seen = nil
    r = stub_client(server).export_billings_csv("tn_1", StringIO.new, on_response: ->(x) { seen = x.content_length })
    assert_equal 5, seen
    assert_equal "Windows-31J", r.charset
    assert_equal Encoding::Windows_31J, r.encoding
    assert_equal "encoding=cp932", server.requests.first.query
  end

  def test_a_pdf_that_does_not_match_its_etag_raises
    server = stub_server { |_r, _i| chunked(PDF, pdf_headers(etag: "0" * 64)) }
    assert_raises(Seikyu::IntegrityError) { stub_client(server).download_invoice_pdf("tn_1", "INV-1", StringIO.new) }
  end

  def test_an_error_answer_raises_before_anything_is_written
    server = stub_server { |_r, _i| problem(404, "The requested resource does not exist.") }
    called = false
    io = StringIO.new
    assert_raises(Seikyu::NotFound) do
      stub_client(server).download_invoice_pdf("tn_1", "INV-9", io, on_response: ->(_r) { called = true })
    end
    refute called
    assert_equal "", io.string
  end

  def test_throttled_download_is_retried_before_the_first_byte
    server = stub_server do |_r, i|
      i.zero? ? json(429, { "message" => "Too Many Requests" }, { "x-amzn-ErrorType" => "TooManyRequestsException" }) : chunked(PDF, pdf_headers)
    end
    io = StringIO.new
    stub_client(server).download_invoices_zip("tn_1", io, period: Date.new(2025, 4, 1))
    assert_equal PDF, io.string
    assert_equal 2, server.requests.size
    assert_equal "period=2025-04", server.requests.first.query
  end

  def test_errors_from_the_callers_io_are_raised_as_they_are
    server = stub_server { |_r, _i| chunked(PDF, pdf_headers) }
    io = Object.new
    def io.write(_chunk)
      raise IOError, "disk full"
    end
    e = assert_raises(IOError) { stub_client(server).download_invoice_pdf("tn_1", "INV-1", io) }
    assert_equal "disk full", e.message
    assert_equal 1, server.requests.size
  end

  def test_needs_exactly_one_destination
    client = stub_client("http://127.0.0.1:1")
    assert_raises(ArgumentError) { client.download_invoice_pdf("tn_1", "INV-1") }
    assert_raises(ArgumentError) { client.download_invoice_pdf("tn_1", "INV-1", StringIO.new) { |_c| nil } }
  end

  def test_export_query_and_csv_encodings
    server = stub_server { |_r, _i| StubServer.response(200, "x", { "Content-Type" => "text/csv" }) }
    client = stub_client(server)
    client.export_billings_csv("tn_1", StringIO.new, from: "2025-04", to: Date.new(2025, 6, 1), status: "issued", encoding: "utf8bom")
    assert_equal "from=2025-04&to=2025-06&status=issued&encoding=utf8bom", server.requests.first.query
  end

  def test_invoice_pdf_url_returns_the_location_without_following_it
    location = "https://bucket.s3.amazonaws.com/tenants/tn_1/invoices/INV-1.pdf?X-Amz-Signature=abc"
    server = stub_server { |_r, _i| StubServer.response(303, "", { "Location" => location }) }
    assert_equal location, stub_client(server).invoice_pdf_url("tn_1", "INV-1")
    assert_equal 1, server.requests.size
    assert_equal "delivery=redirect", server.requests.first.query
  end
end

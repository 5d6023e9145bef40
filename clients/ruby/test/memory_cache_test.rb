# frozen_string_literal: true

require_relative "test_helper"

class MemoryCacheTest < Minitest::Test
  def test_reads_what_was_written
    cache = Seikyu::MemoryCache.new
    assert_nil cache.read("a")
    cache.write("a", { "etag" => "\"1\"", "body" => "{}" })
    assert_equal({ "etag" => "\"1\"", "body" => "{}" }, cache.read("a"))
  end

  def test_evicts_the_least_recently_used_entry
    cache = Seikyu::MemoryCache.new(max_entries: 2)
    cache.write("a", 1)
    cache.write("b", 2)
    cache.read("a") # a is now more recent than b
    cache.write("c", 3)
    assert_equal 2, cache.size
    assert_nil cache.read("b")
    assert_equal 1, cache.read("a")
    assert_equal 3, cache.read("c")
  end

  def test_overwriting_refreshes_and_does_not_grow
    cache = Seikyu::MemoryCache.new(max_entries: 2)
    cache.write("a", 1)
    cache.write("b", 2)
    cache.write("a", 10)
    cache.write("c", 3)
    assert_equal 10, cache.read("a")
    assert_nil cache.read("b")
  end

  def test_delete_and_clear
    cache = Seikyu::MemoryCache.new
    cache.write("a", 1)
    assert cache.delete("a")
    refute cache.key?("a")
    cache.write("b", 2)
    cache.clear
    assert_equal 0, cache.size
  end

  def test_is_bounded_under_concurrent_writers
    cache = Seikyu::MemoryCache.new(max_entries: 50)
    8.times.map { |t| Thread.new { 500.times { |i| cache.write("#{t}-#{i}", i) && cache.read("#{t}-#{i / 2}") } } }.each(&:join)
    assert_equal 50, cache.size
  end

  def test_refuses_a_non_positive_bound
    assert_raises(ArgumentError) { Seikyu::MemoryCache.new(max_entries: 0) }
  end
end

# frozen_string_literal: true

module Seikyu
  # A bounded, thread-safe, in-process LRU cache: the default ETag cache. Any object with
  # read(key) and write(key, value) can take its place (Rails.cache does).
  class MemoryCache
    attr_reader :max_entries

    def initialize(max_entries: 1000)
      raise ArgumentError, "max_entries must be positive" unless max_entries.to_i.positive?

      @max_entries = max_entries.to_i
      @entries = {}
      @lock = Mutex.new
    end

    # The value stored under +key+ (marking it most recently used), or nil.
    def read(key)
      @lock.synchronize do
        return nil unless @entries.key?(key)

        value = @entries.delete(key)
        @entries[key] = value
      end
    end

    # Stores +value+ under +key+, dropping the least recently used entries beyond max_entries.
    def write(key, value, **_options)
      @lock.synchronize do
        @entries.delete(key)
        @entries[key] = value
        @entries.shift while @entries.size > @max_entries
      end
      true
    end

    def delete(key)
      @lock.synchronize { !@entries.delete(key).nil? }
    end

    def clear
      @lock.synchronize { @entries.clear }
      nil
    end

    def size
      @lock.synchronize { @entries.size }
    end

    def key?(key)
      @lock.synchronize { @entries.key?(key) }
    end

    def inspect
      "#<#{self.class.name} #{size}/#{@max_entries} entries>"
    end
  end
end

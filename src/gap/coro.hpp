// asio's C++20 coroutines (awaitable, co_spawn, use_awaitable) under both
// compilers the project builds with.
//
// asio 1.22 enables ASIO_HAS_CO_AWAIT for GCC from __cpp_impl_coroutine,
// but for clang only from the pre-standard __cpp_coroutines, which clang 16
// no longer defines in C++20 mode; its standard <coroutine> (libstdc++ 12)
// works, and asio already selects it (ASIO_HAS_STD_COROUTINE, via
// __GNUC__).  So under clang we turn co_await support on here.  Include
// this header before any asio header in a translation unit that uses the
// coroutine API (every src/gap header does, first).
#pragma once

// A standard header before asio's config: asio decides between
// aligned_alloc/free and operator new/delete from _GLIBCXX_HAVE_ALIGNED_ALLOC
// (bits/c++config.h).  A translation unit that includes asio first picks
// operator new, the others free(): the two inline definitions then mix
// across the program (AddressSanitizer: alloc-dealloc-mismatch).
#include <cstddef>

#if defined(__clang__) && !defined(ASIO_HAS_CO_AWAIT) && defined(__cpp_impl_coroutine) && \
    __cpp_impl_coroutine >= 201902L
#define ASIO_HAS_CO_AWAIT 1
#endif

#include <asio/awaitable.hpp>

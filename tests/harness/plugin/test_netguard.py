"""The network guard refuses outside hosts before any packet: connect and DNS alike."""

from __future__ import annotations

import socket

import pytest

from harness.netguard import NetworkBlockedError, current, guard

pytest_plugins = ["pytester"]


def test_an_outside_connect_is_refused_before_the_socket_connects() -> None:
    with guard() as active, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(
            NetworkBlockedError,
            match=r"192\.0\.2\.1:443 \(connect\).*--llm-allow-network=192\.0\.2\.1",
        ):
            sock.connect(("192.0.2.1", 443))
        with pytest.raises(OSError):
            sock.getpeername()  # never connected: nothing was sent
    assert len(active.refusals) == 1


def test_a_dns_lookup_of_an_outside_host_is_refused_before_it_is_sent() -> None:
    with guard(), pytest.raises(NetworkBlockedError, match=r"api\.openai\.com:443 \(DNS lookup\)"):
        socket.getaddrinfo("api.openai.com", 443)


def test_loopback_and_allowed_hosts_pass() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with guard(), socket.create_connection(server.getsockname(), timeout=5):
            pass
    with guard(allow=["192.0.2.1"]) as active:
        assert active.allows("192.0.2.1") and active.allows("localhost") and active.allows("::1")
        assert active.allows("0.0.0.0") and active.allows(
            "::"
        )  # this host (bind checks resolve them)
        assert not active.allows("192.0.2.2")


def test_guards_nest_and_the_inner_one_ends_with_its_block() -> None:
    with guard(allow=["192.0.2.1"]) as inner:
        assert current() is inner
    assert current() is not inner


def test_the_plugin_guards_every_test_and_the_marker_allows(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_net="""
        import socket
        import pytest

        def test_blocked():
            socket.getaddrinfo("example.com", 80)

        @pytest.mark.llm_allow_network("example.com")
        def test_allowed_by_marker():
            from harness.netguard import current
            assert current().allows("example.com")
    """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*sik-llms network guard: the test tried to reach example.com:80 (DNS lookup)*"]
    )

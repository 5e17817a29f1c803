"""The web sites: one package per site (reporter/, staff/, and desk/ — the desk's pages, served
on the staff site) over the use cases, plus what every site shares: app keys, middlewares,
rendering, form reading, file responses, and the HTTP server below them all (connections,
protocol errors, part headers, fd limit).

Views are thin: parse, call one use case, render. They never touch the store or the crypto.
"""

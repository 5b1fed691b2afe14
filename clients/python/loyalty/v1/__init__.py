"""Generated from protos/loyalty/v1 by `make gen`; do not edit the *_pb2* modules by hand."""

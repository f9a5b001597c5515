//! Wire format of direct requests: length-prefixed raw bytes, with the size limit enforced on
//! both the writing and the reading side.
//!
//! A request is `kind: u8 | len: u32 BE | bytes`, kind 0 asking for an answer and kind 1 a
//! one-way message (answered with an empty acknowledgement). A response is
//! `status: u8 | len: u32 BE | bytes`, status 0 carrying the answer and status 1 a UTF-8 reason
//! for refusing. A length above the limit is refused before any byte of the body is read: an
//! oversized response fails the request, and an oversized request is handed to the service as
//! [`RequestKind::TooLarge`] (libp2p reports no failure of reading a request), which penalises
//! the sender and answers with a refusal naming the limit.

use std::{fmt, io};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};

/// The request/response protocol name.
pub const REQUEST_PROTOCOL: StreamProtocol = StreamProtocol::new("/pharos/spn/request/1");

/// What a request expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// The application answers with bytes.
    Ask,
    /// One-way message; the network acknowledges it with an empty answer.
    Tell,
    /// Read side only: the request declared a body above the limit, which was not read.
    TooLarge(FrameTooLarge),
}

/// A request on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// Whether an answer is expected.
    pub kind: RequestKind,
    /// The application's bytes.
    pub data: Vec<u8>,
}

/// A response on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireResponse {
    /// The application's answer.
    Answer(Vec<u8>),
    /// The request was refused, with the reason.
    Refused(String),
}

/// A frame whose declared length exceeds the limit; carried inside an [`io::Error`] so the
/// service can tell it from other failures and penalise the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTooLarge {
    /// Declared or actual size in bytes.
    pub size: usize,
    /// The limit in bytes.
    pub max: usize,
}

impl fmt::Display for FrameTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame of {} bytes exceeds the limit of {} bytes",
            self.size, self.max
        )
    }
}

impl std::error::Error for FrameTooLarge {}

impl FrameTooLarge {
    /// The oversize frame inside an I/O error, if that is what it carries.
    pub fn from_io(error: &io::Error) -> Option<Self> {
        error.get_ref()?.downcast_ref::<FrameTooLarge>().copied()
    }

    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// The request/response codec, limited to `max` bytes per body.
#[derive(Debug, Clone, Copy)]
pub struct FrameCodec {
    max: usize,
}

impl FrameCodec {
    /// A codec refusing bodies above `max` bytes.
    pub fn new(max: usize) -> Self {
        Self { max }
    }

    async fn read_frame<T>(&self, io: &mut T) -> io::Result<(u8, Vec<u8>)>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut header = [0u8; 5];
        io.read_exact(&mut header).await?;
        let [tag, len @ ..] = header;
        let size = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if size > self.max {
            return Err(FrameTooLarge {
                size,
                max: self.max,
            }
            .into_io());
        }
        let mut body = vec![0u8; size];
        io.read_exact(&mut body).await?;
        Ok((tag, body))
    }

    async fn write_frame<T>(&self, io: &mut T, tag: u8, body: &[u8]) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let too_large = FrameTooLarge {
            size: body.len(),
            max: self.max,
        };
        if body.len() > self.max {
            return Err(too_large.into_io());
        }
        let len = u32::try_from(body.len()).map_err(|_| too_large.into_io())?;
        let mut header = [tag, 0, 0, 0, 0];
        header[1..].copy_from_slice(&len.to_be_bytes());
        io.write_all(&header).await?;
        io.write_all(body).await?;
        io.flush().await
    }
}

fn bad_tag(what: &str, tag: u8) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unknown {what} tag {tag}"),
    )
}

impl request_response::Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = WireRequest;
    type Response = WireResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<WireRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        let (tag, data) = match self.read_frame(io).await {
            Ok(frame) => frame,
            Err(error) => {
                return match FrameTooLarge::from_io(&error) {
                    Some(frame) => Ok(WireRequest {
                        kind: RequestKind::TooLarge(frame),
                        data: Vec::new(),
                    }),
                    None => Err(error),
                }
            }
        };
        let kind = match tag {
            0 => RequestKind::Ask,
            1 => RequestKind::Tell,
            other => return Err(bad_tag("request", other)),
        };
        Ok(WireRequest { kind, data })
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<WireResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        let (tag, data) = self.read_frame(io).await?;
        match tag {
            0 => Ok(WireResponse::Answer(data)),
            1 => Ok(WireResponse::Refused(
                String::from_utf8_lossy(&data).into_owned(),
            )),
            other => Err(bad_tag("response", other)),
        }
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: WireRequest,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let tag = match request.kind {
            RequestKind::Ask => 0,
            RequestKind::Tell => 1,
            RequestKind::TooLarge(frame) => return Err(frame.into_io()),
        };
        self.write_frame(io, tag, &request.data).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: WireResponse,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match response {
            WireResponse::Answer(data) => self.write_frame(io, 0, &data).await,
            WireResponse::Refused(reason) => {
                // A reason never makes a response oversize: it is cut to the limit.
                let bytes = reason.as_bytes();
                let cut = bytes.len().min(self.max);
                self.write_frame(io, 1, &bytes[..cut]).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::{executor::block_on, io::Cursor};
    use request_response::Codec as _;

    use super::*;

    fn roundtrip_request(codec: &mut FrameCodec, request: WireRequest) -> io::Result<WireRequest> {
        block_on(async {
            let mut buf = Cursor::new(Vec::new());
            codec
                .write_request(&REQUEST_PROTOCOL, &mut buf, request)
                .await?;
            buf.set_position(0);
            codec.read_request(&REQUEST_PROTOCOL, &mut buf).await
        })
    }

    #[test]
    fn requests_and_responses_roundtrip() {
        let mut codec = FrameCodec::new(1024);
        for kind in [RequestKind::Ask, RequestKind::Tell] {
            let request = WireRequest {
                kind,
                data: vec![1, 2, 3],
            };
            assert_eq!(
                roundtrip_request(&mut codec, request.clone()).expect("roundtrip"),
                request
            );
        }
        for response in [
            WireResponse::Answer(vec![]),
            WireResponse::Answer(vec![9; 1024]),
            WireResponse::Refused("busy".into()),
        ] {
            let read = block_on(async {
                let mut buf = Cursor::new(Vec::new());
                codec
                    .write_response(&REQUEST_PROTOCOL, &mut buf, response.clone())
                    .await?;
                buf.set_position(0);
                codec.read_response(&REQUEST_PROTOCOL, &mut buf).await
            })
            .expect("roundtrip");
            assert_eq!(read, response);
        }
    }

    #[test]
    fn writer_refuses_oversize_body() {
        let mut codec = FrameCodec::new(16);
        let err = roundtrip_request(
            &mut codec,
            WireRequest {
                kind: RequestKind::Ask,
                data: vec![0; 17],
            },
        )
        .expect_err("oversize");
        assert_eq!(
            FrameTooLarge::from_io(&err),
            Some(FrameTooLarge { size: 17, max: 16 })
        );
    }

    #[test]
    fn reader_flags_oversize_request_before_reading_the_body() {
        let mut codec = FrameCodec::new(16);
        // Declares 4 GiB - 1 but carries nothing: must be decided on the header alone.
        let mut buf = Cursor::new(vec![0u8, 0xff, 0xff, 0xff, 0xff]);
        let request = block_on(codec.read_request(&REQUEST_PROTOCOL, &mut buf)).expect("flagged");
        let too_large = FrameTooLarge {
            size: 0xffff_ffff,
            max: 16,
        };
        assert_eq!(request.kind, RequestKind::TooLarge(too_large));
        assert!(request.data.is_empty());
    }

    #[test]
    fn reader_refuses_oversize_response_before_reading_the_body() {
        let mut codec = FrameCodec::new(16);
        let mut buf = Cursor::new(vec![0u8, 0, 0, 0, 17]);
        let err = block_on(codec.read_response(&REQUEST_PROTOCOL, &mut buf)).expect_err("oversize");
        assert_eq!(
            FrameTooLarge::from_io(&err),
            Some(FrameTooLarge { size: 17, max: 16 })
        );
    }

    #[test]
    fn truncated_and_unknown_frames_are_errors() {
        let mut codec = FrameCodec::new(16);
        let mut truncated = Cursor::new(vec![0u8, 0, 0, 0, 4, 1, 2]);
        let err =
            block_on(codec.read_request(&REQUEST_PROTOCOL, &mut truncated)).expect_err("truncated");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let mut unknown = Cursor::new(vec![7u8, 0, 0, 0, 0]);
        let err =
            block_on(codec.read_request(&REQUEST_PROTOCOL, &mut unknown)).expect_err("unknown tag");
        assert_eq!(FrameTooLarge::from_io(&err), None);
    }
}

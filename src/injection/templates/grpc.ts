/** SCAFFOLD: the `grpc-simple` and `grpc-agent` templates are being written. */
import { InjectorError } from '../../errors.js';
import type { RenderContext } from '../context.js';
import type { Fragment } from './sidecar.js';

export function grpcSimpleTemplate(_ctx: RenderContext): Fragment {
  throw new InjectorError('INJECTION_FAILED', "template 'grpc-simple' is not supported yet");
}

export function grpcAgentTemplate(_ctx: RenderContext): Fragment {
  throw new InjectorError('INJECTION_FAILED', "template 'grpc-agent' is not supported yet");
}

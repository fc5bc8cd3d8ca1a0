/** SCAFFOLD: the `gateway` template is being written. */
import { InjectorError } from '../../errors.js';
import type { RenderContext } from '../context.js';
import type { Fragment } from './sidecar.js';

export function gatewayTemplate(_ctx: RenderContext): Fragment {
  throw new InjectorError('INJECTION_FAILED', "template 'gateway' is not supported yet");
}

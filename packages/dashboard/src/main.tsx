import { render } from 'preact'
import '@xterm/xterm/css/xterm.css'
import './styles.css'
import { App } from './components/App.js'

render(<App />, document.getElementById('app')!)
